"""Domain vocabulary shared by the service layer: errors, money, roles, enums."""
