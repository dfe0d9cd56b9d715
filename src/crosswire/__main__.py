from crosswire.cli.main import main

main()
