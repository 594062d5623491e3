"""The register: who is in the programs — branches, bank accounts, sponsors, children, pledges, enrolments."""
