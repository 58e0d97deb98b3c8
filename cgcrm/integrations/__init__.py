"""How departments' systems exchange data with cgcrm: bulk import (and later webhooks, feeds)."""
