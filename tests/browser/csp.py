"""Watching a page for Content-Security-Policy violations."""

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


def assert_no_violation(page, where):
    assert page.evaluate("window.__cspViolations") == [], where
    assert page.csp_console == [], where
