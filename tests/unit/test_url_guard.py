"""The address policy on its own: which addresses are refused and why, what the allow setting
opens (and nothing more), and how a URL becomes a pinned target."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError

from handler.contract.settings import Settings, parse_networks
from handler.url_guard import AddressPolicy, IPAddress, UrlRefused, special_use

pytestmark = pytest.mark.unit


def ip(text: str) -> IPAddress:
    return ipaddress.ip_address(text)


def fixed(*answers: str) -> AddressPolicy:
    return AddressPolicy(resolver=lambda host, port: [ip(a) for a in answers])


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "link-local"),  # EC2/ECS instance metadata
        ("169.254.170.2", "link-local"),  # ECS task credentials
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
        ("0.0.0.0", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("240.0.0.1", "private"),  # Python files 240/4 under private as well as reserved
        ("255.255.255.255", "private"),
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("fec0::1", "site-local"),
        ("2001:db8::1", "private"),  # documentation range
        ("2002:0a00:0001::1", "private (IPv4 inside IPv6)"),  # 6to4 of 10.0.0.1
    ],
)
def test_special_use_addresses_are_named(address, kind):
    assert special_use(ip(address)) == kind
    assert AddressPolicy().refusal(ip(address)) == kind


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700::6810:85e5", "2002:5db8:d822::1"])
def test_public_addresses_pass(address):
    assert AddressPolicy().refusal(ip(address)) is None


@pytest.mark.parametrize(
    ("mapped", "kind"),
    [
        ("::ffff:169.254.169.254", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
    ],
)
def test_ipv4_mapped_ipv6_is_judged_as_the_ipv4_address(mapped, kind):
    assert AddressPolicy().refusal(ip(mapped)) == kind
    assert AddressPolicy().refusal(ip("::ffff:8.8.8.8")) is None  # mapped public stays public


def test_the_allow_setting_opens_exactly_its_networks():
    policy = AddressPolicy(parse_networks("127.0.0.0/8, ::1"))
    assert policy.refusal(ip("127.0.0.1")) is None
    assert policy.refusal(ip("::ffff:127.0.0.2")) is None
    assert policy.refusal(ip("::1")) is None
    assert policy.refusal(ip("169.254.169.254")) == "link-local"
    assert policy.refusal(ip("10.0.0.1")) == "private"
    assert policy.refusal(ip("::2")) == "reserved"


def test_settings_parse_the_allow_list_and_refuse_typos():
    assert Settings().asset_networks() == ()
    assert Settings(ANGO_BATCH_MAX_IMAGE_PIXELS=7).max_image_pixels == 7
    settings = Settings(ANGO_BATCH_ALLOWED_ASSET_NETWORKS="10.1.2.3/8,fd00::/8")
    assert settings.asset_networks() == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))
    with pytest.raises(ValidationError, match="ANGO_BATCH_ALLOWED_ASSET_NETWORKS"):
        Settings(ANGO_BATCH_ALLOWED_ASSET_NETWORKS="127.0.0.0/8,localhost")


def test_a_target_keeps_name_port_path_and_query_for_the_request():
    target = fixed("93.184.216.34").target("https://Assets.Example.com:8443/a%20b.png?sig=1#frag")
    assert (target.scheme, target.host, target.port) == ("https", "assets.example.com", 8443)
    assert target.path == "/a%20b.png?sig=1"
    assert target.host_header == "assets.example.com:8443"
    assert target.addresses == (ip("93.184.216.34"),)
    assert not target.host_is_literal


def test_a_target_for_an_ipv6_literal_brackets_its_host_header():
    target = fixed("2606:4700::1").target("http://[2606:4700::1]/")
    assert target.host_header == "[2606:4700::1]"
    assert target.host_is_literal


def test_an_international_name_is_sent_in_its_ascii_form():
    target = fixed("93.184.216.34").target("http://bücher.example/x")
    assert target.host == "xn--bcher-kva.example"
    assert target.host_header == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http:///no-host", "asset URL is malformed"),
        ("http://host:99999/", "asset URL is malformed"),
        ("http://[not-an-ip]/", "asset URL is malformed"),
        ("javascript:alert(1)", "asset URL is not http(s)"),
        ("//host/relative", "asset URL is not http(s)"),
    ],
)
def test_malformed_urls_are_refused(url, reason):
    with pytest.raises(UrlRefused) as caught:
        fixed("93.184.216.34").target(url)
    assert str(caught.value) == reason


def test_a_name_that_does_not_resolve_is_refused_without_its_query():
    def nowhere(host: str, port: int) -> list[IPAddress]:
        raise OSError("Name or service not known")

    with pytest.raises(UrlRefused) as caught:
        AddressPolicy(resolver=nowhere).target("http://missing.example/a.png?token=SECRET")
    assert str(caught.value) == "asset host missing.example does not resolve"


def test_an_empty_answer_is_refused():
    with pytest.raises(UrlRefused, match="does not resolve"):
        fixed().target("http://empty.example/")
