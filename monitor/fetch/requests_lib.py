"""requests, as every module of the fetch stage imports it: without chardet.

requests prefers chardet, when it is installed, to charset_normalizer for its own guess at an answer's
undeclared charset (`Response.text`, `Response.apparent_encoding`), which the fetchers never read: they
decode every body themselves (common.decode_html, with charset_normalizer). Importing chardet 7 costs a
process some 38 million instructions, a thirtieth of a `check` process's start-up, and tools beside the
project (the test extras among them) install it. So the first import of requests in the process is made with
chardet out of sight: requests then takes charset_normalizer, which it imports anyway. Nothing else changes:
`import chardet` works as before for anyone who asks for it afterwards.
"""

from __future__ import annotations

import sys

if "requests" not in sys.modules and "chardet" not in sys.modules:
    sys.modules["chardet"] = None  # type: ignore[assignment]  # `import chardet` fails while requests loads
    try:
        import requests
    finally:
        del sys.modules["chardet"]

import requests  # noqa: E402 - the one imported above, or the one some other module imported first
import requests.adapters  # noqa: E402
import requests.cookies  # noqa: E402
import requests.utils  # noqa: E402

__all__ = ["requests"]
