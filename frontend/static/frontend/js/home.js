// Home page: in elderly mode only one category is open at a time (fewer choices on the screen).
import { isElderly } from "./common.js";

const categories = Array.from(document.querySelectorAll("details.category"));
for (const details of categories) {
  details.addEventListener("toggle", () => {
    if (!details.open || !isElderly()) return;
    for (const other of categories) if (other !== details) other.open = false;
  });
}
