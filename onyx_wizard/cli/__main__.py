"""`python -m onyx_wizard.cli`: the same as the `onyx-wizard` command."""

import sys

from onyx_wizard.cli import main

sys.exit(main())
