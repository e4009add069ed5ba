import sys

from coursekit.grading import main

sys.exit(main())
