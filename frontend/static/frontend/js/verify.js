// The verification page: show the name of the chosen PDF on the big file button.
const input = document.getElementById("letter");
const name = document.getElementById("letter-name");
if (input && name) {
  input.addEventListener("change", () => {
    if (input.files && input.files[0]) name.textContent = input.files[0].name;
  });
}
