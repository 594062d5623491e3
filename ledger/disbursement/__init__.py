"""The monthly disbursement: planning each child's month, running it, handing money to guardians."""
