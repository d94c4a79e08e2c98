from cs.cli import main

main()
