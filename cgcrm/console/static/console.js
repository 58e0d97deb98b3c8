// The console's only script of its own, loaded as a module (browsers too old for GOV.UK
// Frontend skip it, and the pages work without it). No inline script: the CSP forbids it.
import { initAll } from "../assets/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// htmx's requests carry the session's CSRF token, as forms carry it in a hidden field.
const csrf = document.querySelector('meta[name="csrf-token"]');
document.body.addEventListener("htmx:configRequest", (event) => {
  if (csrf) event.detail.headers["X-CSRF-Token"] = csrf.content;
});
