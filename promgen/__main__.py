from promgen.cli.main import main

main()
