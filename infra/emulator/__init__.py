"""A local Ango Hub: the Socket.IO plugin channel, the `/v2` REST API and a control API for tests.

Run it with `python -m infra.emulator`; in tests use `infra.emulator.process.run_emulator` and the
`infra.emulator.control.EmulatorControl` client. Submodules are imported on demand so that the demo
data (`infra.demo_data`) does not pull in Flask.
"""
