"""Fetch two pages and print status and title for each."""

import re
import urllib.request

for path in ("/", "/about"):
    with urllib.request.urlopen(f"http://127.0.0.1:8000{path}") as response:
        body = response.read().decode("utf-8", "replace")
    title = re.search(r"<title>(.*?)</title>", body)
    print(path, response.status, title.group(1) if title else "(no title)")
