"""Who is paid, how much and why: legal parameters as dated data, decisions that explain themselves."""
