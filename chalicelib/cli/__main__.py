from chalicelib.cli.main import main

raise SystemExit(main())
