#!/usr/bin/env python
from gridgov.manage import main

if __name__ == "__main__":
    main()
