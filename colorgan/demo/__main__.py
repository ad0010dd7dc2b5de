from colorgan.demo.app import main

raise SystemExit(main())
