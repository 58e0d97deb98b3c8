"""Staff users, API clients, the OAuth2 authorization server and the request guard."""
