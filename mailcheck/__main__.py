"""`python -m mailcheck`."""

from mailcheck.cli import main

if __name__ == "__main__":  # not again in a worker process (verify --jobs)
    main()
