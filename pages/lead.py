"""Lead: one lead's file, opened from any lead row (``?lead=<id>``): who the lead is, where
it stands, the actions the viewer's role may take on it, and its whole history newest first."""

from dashboard import lead_page

lead_page.show()
