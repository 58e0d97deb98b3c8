"""Staff sign-in through a government's own OpenID provider (OIDC relying party)."""
