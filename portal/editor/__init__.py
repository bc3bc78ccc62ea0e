"""The Markdown editor: a toolbar and a preview on every textarea whose text is rendered as Markdown.

fields.MarkdownField marks such a textarea (``data-markdown-editor``); a page that rendered one
loads static/js/editor.js and the toolbar template (templates/_markdown_editor.html). The preview
is rendered by views.preview with the same render_markdown the saved pages use.
"""
