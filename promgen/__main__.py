from promgen.cli import main

main()
