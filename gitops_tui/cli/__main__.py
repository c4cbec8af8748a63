import sys

from gitops_tui.cli import main

sys.exit(main())
