// The resident's call page: waiting room, then the call.
import { mountCall } from "./call_ui.js";
import { pageData } from "./common.js";

const data = pageData();
const audioOnly = new URLSearchParams(location.search).get("audio") === "1";
mountCall(document.getElementById("call-panel"), {
  callId: data.call,
  audioOnly,
  onState(state) {
    document.getElementById("call-ended").hidden = !(state === "ended" || state === "refused");
  },
});
