"""What the API accepts and returns, one module per area beside its routes (``api/routes``).

Money is always an integer number of đồng.
"""
