"""Rich text (runbooks, notes): Markdown rendered by markdown-it, then sanitised by nh3; task-list
items ("- [ ] check the ALB", "- [x] done") become checkboxes instead of literal brackets."""

import re

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")

#: A list item (or its first paragraph, in a loose list) opening with "[ ]" or "[x]", after nh3.
_TASK = re.compile(r"<li>(\s*<p>)?\[([ xX])\]\s")


def _checkbox(match: re.Match) -> str:
    checked = " checked" if match.group(2) in "xX" else ""
    return f'<li class="task">{match.group(1) or ""}<input type="checkbox" disabled{checked}> '


def render_markdown(text: str) -> str:
    # The checkboxes are added after sanitising: nh3 removes every <input>, and these come only from
    # the fixed pattern above, never from the text.
    cleaned = nh3.clean(_md.render(text or ""), link_rel="noopener noreferrer nofollow")
    return _TASK.sub(_checkbox, cleaned)
