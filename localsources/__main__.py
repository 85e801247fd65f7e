"""``python -m localsources``: serve the local Kolada, SCB and Folkhälsodata servers (make serve)."""

from localsources import main

if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
