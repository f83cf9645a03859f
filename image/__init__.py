"""The kiosk image's builder (build.py) and its A/B disk (ab_disk.py)."""
