"""An infer job: its assets downloaded, run through the model in batches and imported (job.py), and
its outcome counted asset by asset (tally.py)."""
