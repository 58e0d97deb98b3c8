"""One module per area of the console; importing one registers its routes on ``bp``."""

from cgcrm.console.pages import assets as _assets  # noqa: F401
from cgcrm.console.pages import auth as _auth  # noqa: F401
from cgcrm.console.pages import cases as _cases  # noqa: F401
from cgcrm.console.pages import citizen as _citizen  # noqa: F401
from cgcrm.console.pages import contacts as _contacts  # noqa: F401
from cgcrm.console.pages import dashboard as _dashboard  # noqa: F401
from cgcrm.console.pages import duplicates as _duplicates  # noqa: F401
from cgcrm.console.pages import evidence as _evidence  # noqa: F401
from cgcrm.console.pages import home as _home  # noqa: F401
from cgcrm.console.pages import payments as _payments  # noqa: F401
from cgcrm.console.pages import satisfaction as _satisfaction  # noqa: F401
from cgcrm.console.pages import search as _search  # noqa: F401
