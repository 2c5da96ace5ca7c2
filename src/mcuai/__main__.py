"""``python -m mcuai`` runs the command-line interface."""

from mcuai.cli import main

if __name__ == "__main__":
    main()
