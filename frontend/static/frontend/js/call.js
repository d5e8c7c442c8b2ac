// WebRTC client of the call room: signaling over /ws/calls/{call_id}/ (see docs/signaling.md), a full mesh of
// RTCPeerConnections (at most four people), automatic rejoin of the room and ICE restart, getStats quality.
//
// Who offers: the participant who receives a `peers` list (a newcomer just admitted, or someone who rejoined)
// makes a fresh offer to each of them; the people already in the room get `peer-joined` / `peer-rejoined` and
// wait for that offer. When ICE fails on a live connection, the side that made the first offer restarts ICE.
// The page is told what happens through events (`state`, `queue`, `peer-added`, `peer-removed`, `chat`, ...).

const RETRY_DELAYS = [500, 1000, 2000, 4000, 8000, 10000];
const FINAL_CLOSE_CODES = new Set([1000, 4000, 4401, 4403, 4404, 4409, 4410]);
const DISCONNECT_RESTART_MS = 3000;
const OFFER_RESEND_DELAYS = [4000, 8000, 10000];

export class CallClient extends EventTarget {
  constructor({ callId, stream = null, iceServers = [], storage = window.sessionStorage }) {
    super();
    this.callId = callId;
    this.stream = stream;
    this.iceServers = iceServers;
    this.storage = storage;
    this.socket = null;
    this.peers = new Map(); // participant id -> { pc, info, offerer, stream, restartTimer, answerTimer, ... }
    this.participantId = this._storedId();
    this.state = "idle"; // idle | connecting | waiting | in-call | reconnecting | ended | refused
    this.retry = 0;
    this.closedByUs = false;
    this.pingTimer = null;
    this.me = null;
    this.role = null;
    this.mayAdmit = false;
    this.call = null;
  }

  // --- public API ------------------------------------------------------------------------
  start() {
    this.closedByUs = false;
    this._open();
  }

  /** Leave the room for good (hang up for oneself). Staff may end the call for everyone with `hangupAll`. */
  leave() {
    this._send({ type: "leave" });
    this._finish("ended", { reason: "left" });
  }

  hangupAll() {
    this._send({ type: "hangup" });
  }

  admit(participantId) {
    this._send(participantId ? { type: "admit", participant_id: participantId } : { type: "admit", all: true });
  }

  chat(text) {
    this._send({ type: "chat", text });
  }

  mediaState(state) {
    this._send({ type: "media-state", ...state });
  }

  /** Swap the outgoing track of one kind on every connection (camera switch, audio-only) without renegotiating. */
  async replaceTrack(kind, track) {
    for (const peer of this.peers.values()) {
      const sender = peer.pc.getSenders().find((s) => (s.track && s.track.kind === kind) || s._kind === kind);
      if (sender) {
        sender._kind = kind;
        await sender.replaceTrack(track);
      }
    }
  }

  /** For tests and the console: drop the signaling socket as a network failure would. */
  dropSignaling() {
    if (this.socket) {
      this.socket._dropped = true;
      this.socket.close(4999, "test drop");
    }
  }

  async stats() {
    const result = [];
    for (const [id, peer] of this.peers) {
      const report = await peer.pc.getStats();
      const entry = { id, connectionState: peer.pc.connectionState, framesDecoded: 0, packetsLost: 0,
        packetsReceived: 0, rtt: null, bytesReceived: 0 };
      report.forEach((s) => {
        if (s.type === "inbound-rtp") {
          if (s.kind === "video") entry.framesDecoded += s.framesDecoded || 0;
          entry.packetsLost += s.packetsLost || 0;
          entry.packetsReceived += s.packetsReceived || 0;
          entry.bytesReceived += s.bytesReceived || 0;
        }
        if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded" && s.currentRoundTripTime !== undefined) {
          entry.rtt = s.currentRoundTripTime;
        }
      });
      result.push(entry);
    }
    return result;
  }

  // --- signaling socket ------------------------------------------------------------------------
  _storedId() {
    try { return this.storage.getItem("call-participant:" + this.callId); } catch (e) { return null; }
  }

  _storeId(id) {
    try { this.storage.setItem("call-participant:" + this.callId, id); } catch (e) { /* ignore */ }
  }

  _setState(state, detail = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, ...detail } }));
  }

  _emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  _open() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(`${scheme}${location.host}/ws/calls/${this.callId}/`);
    this.socket = socket;
    if (this.state === "idle") this._setState("connecting");
    socket.addEventListener("message", (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      this._onMessage(message);
    });
    socket.addEventListener("close", (event) => this._onClose(socket, event));
  }

  _send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  _onClose(socket, event) {
    if (socket !== this.socket) return;
    clearInterval(this.pingTimer);
    if (this.closedByUs || this.state === "ended") return;
    if (FINAL_CLOSE_CODES.has(event.code) && !socket._dropped) {
      const reason = { 4401: "login", 4403: "forbidden", 4404: "not_found", 4409: "room_full", 4410: "over",
        4000: "replaced", 1000: "closed" }[event.code];
      this._finish(event.code === 4410 || event.code === 1000 ? "ended" : "refused", { reason, code: event.code });
      return;
    }
    this._setState("reconnecting");
    const delay = RETRY_DELAYS[Math.min(this.retry, RETRY_DELAYS.length - 1)];
    this.retry += 1;
    setTimeout(() => { if (!this.closedByUs && this.state !== "ended") this._open(); }, delay);
  }

  _finish(state, detail) {
    this.closedByUs = true;
    clearInterval(this.pingTimer);
    for (const id of [...this.peers.keys()]) this._removePeer(id);
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) this.socket.close(1000);
    if (state === "ended") {
      try { this.storage.removeItem("call-participant:" + this.callId); } catch (e) { /* ignore */ }
    }
    this._setState(state, detail);
  }

  _onMessage(message) {
    switch (message.type) {
      case "hello":
        this.role = message.role;
        this._send(this.participantId ? { type: "join", participant_id: this.participantId } : { type: "join" });
        break;
      case "joined":
        this.retry = 0;
        this.participantId = message.participant_id;
        this._storeId(message.participant_id);
        this.me = message.me;
        this.call = message.call;
        this.mayAdmit = message.may_admit;
        this.pingTimer = setInterval(() => this._send({ type: "ping", ts: Date.now() }), 20000);
        if (message.rejoined) {
          // Our old connections belong to a signaling session that is gone: start them afresh.
          for (const id of [...this.peers.keys()]) this._removePeer(id, { quiet: true });
        }
        this._setState(message.state === "admitted" ? "in-call" : "waiting", { rejoined: message.rejoined });
        this._emit("joined", message);
        break;
      case "waiting":
        if (this.state !== "in-call") this._setState("waiting");
        this._emit("queue", message);
        break;
      case "admitted":
        this._setState("in-call");
        break;
      case "held":
        // An agent moved us back to the waiting room: our connections are closed by the others too.
        for (const id of [...this.peers.keys()]) this._removePeer(id);
        this._setState("waiting");
        break;
      case "peers":
        this._setState("in-call");
        for (const info of message.peers) this._connectTo(info);
        break;
      case "peer-joined":
      case "peer-rejoined":
        // They will send us an offer; forget any connection from their previous session.
        if (this.peers.has(message.peer.participant_id)) this._removePeer(message.peer.participant_id, { quiet: true });
        this._ensurePeer(message.peer, false);
        this._emit("peer-info", message.peer);
        break;
      case "peer-disconnected":
        this._emit("peer-disconnected", message);
        break;
      case "peer-left":
        this._removePeer(message.participant_id);
        break;
      case "offer":
        this._onOffer(message);
        break;
      case "answer":
        this._onAnswer(message);
        break;
      case "ice-candidate":
        this._onCandidate(message);
        break;
      case "media-state": {
        const peer = this.peers.get(message.from);
        if (peer) Object.assign(peer.info.media || (peer.info.media = {}), message);
        this._emit("media-state", message);
        break;
      }
      case "chat":
        this._emit("chat", message);
        break;
      case "hangup":
      case "call-status":
        if (message.type === "hangup" || message.status === "ended" || message.status === "missed") {
          this._finish("ended", { reason: "hangup" });
        }
        break;
      case "admit-ok":
        this._emit("admit-ok", message);
        break;
      case "error":
        this._emit("error", message);
        break;
      default:
        break;
    }
  }

  // --- peer connections ---------------------------------------------------------------------
  _ensurePeer(info, offerer) {
    let peer = this.peers.get(info.participant_id);
    if (peer) {
      peer.info = { ...peer.info, ...info };
      return peer;
    }
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    peer = { pc, info, offerer, stream: new MediaStream(), pendingCandidates: [], restartTimer: null, answerTimer: null,
      makingOffer: false };
    this.peers.set(info.participant_id, peer);
    if (this.stream) {
      for (const track of this.stream.getTracks()) {
        const sender = pc.addTrack(track, this.stream);
        sender._kind = track.kind;
      }
    }
    // Always ask to receive audio and video, even when we send only audio.
    const kinds = this.stream ? this.stream.getTracks().map((t) => t.kind) : [];
    if (offerer) {
      if (!kinds.includes("audio")) pc.addTransceiver("audio", { direction: "recvonly" });
      if (!kinds.includes("video")) pc.addTransceiver("video", { direction: "recvonly" });
    }
    pc.addEventListener("icecandidate", (event) => {
      const c = event.candidate;
      this._send({ type: "ice-candidate", to: info.participant_id, candidate: c ? c.candidate : null,
        sdpMid: c ? c.sdpMid : null, sdpMLineIndex: c ? c.sdpMLineIndex : null });
    });
    pc.addEventListener("track", (event) => {
      if (!peer.stream.getTracks().includes(event.track)) peer.stream.addTrack(event.track);
      this._emit("peer-track", { id: info.participant_id, stream: peer.stream, info: peer.info });
    });
    pc.addEventListener("connectionstatechange", () => this._onConnectionState(info.participant_id));
    pc.addEventListener("iceconnectionstatechange", () => this._onConnectionState(info.participant_id));
    this._emit("peer-added", { id: info.participant_id, stream: peer.stream, info });
    return peer;
  }

  async _connectTo(info) {
    if (this.peers.has(info.participant_id)) this._removePeer(info.participant_id, { quiet: true });
    this._ensurePeer(info, true);
    await this._makeOffer(info.participant_id, { iceRestart: false });
  }

  async _makeOffer(id, { iceRestart }) {
    const peer = this.peers.get(id);
    if (!peer || peer.makingOffer) return;
    try {
      peer.makingOffer = true;
      const offer = await peer.pc.createOffer({ iceRestart });
      await peer.pc.setLocalDescription(offer);
      this._send({ type: "offer", to: id, sdp: peer.pc.localDescription.sdp, ice_restart: iceRestart });
      this._awaitAnswer(id, peer, iceRestart, 0);
    } catch (error) {
      this._emit("error", { code: "webrtc", detail: String(error) });
    } finally {
      peer.makingOffer = false;
    }
  }

  // The server's relay delivers at most once: an offer sent while the other side's server process was still
  // reconnecting to Redis is gone. Until an answer comes, the same offer goes again (with the candidates gathered
  // since), so a lost offer or a lost answer costs a few seconds, not the call.
  _awaitAnswer(id, peer, iceRestart, attempt) {
    clearTimeout(peer.answerTimer);
    const delay = OFFER_RESEND_DELAYS[Math.min(attempt, OFFER_RESEND_DELAYS.length - 1)];
    peer.answerTimer = setTimeout(() => {
      if (this.peers.get(id) !== peer || peer.pc.signalingState !== "have-local-offer") return;
      this._send({ type: "offer", to: id, sdp: peer.pc.localDescription.sdp, ice_restart: iceRestart });
      this._awaitAnswer(id, peer, iceRestart, attempt + 1);
    }, delay);
  }

  async _onOffer(message) {
    const peer = this._ensurePeer(this.peers.get(message.from)?.info || { participant_id: message.from }, false);
    const pc = peer.pc;
    // Perfect-negotiation style glare handling: the offerer of the pair is "impolite" and ignores a colliding offer.
    const collision = peer.makingOffer || pc.signalingState !== "stable";
    if (collision && peer.offerer) return;
    try {
      if (collision) await pc.setLocalDescription({ type: "rollback" });
      await pc.setRemoteDescription({ type: "offer", sdp: message.sdp });
      await this._flushCandidates(peer);
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      this._send({ type: "answer", to: message.from, sdp: pc.localDescription.sdp });
    } catch (error) {
      this._emit("error", { code: "webrtc", detail: String(error) });
    }
  }

  async _onAnswer(message) {
    const peer = this.peers.get(message.from);
    if (!peer || peer.pc.signalingState !== "have-local-offer") return;
    try {
      await peer.pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
      await this._flushCandidates(peer);
    } catch (error) {
      this._emit("error", { code: "webrtc", detail: String(error) });
    }
  }

  async _onCandidate(message) {
    const peer = this.peers.get(message.from);
    if (!peer) return;
    const candidate = message.candidate
      ? { candidate: typeof message.candidate === "string" ? message.candidate : message.candidate.candidate,
        sdpMid: message.sdpMid, sdpMLineIndex: message.sdpMLineIndex }
      : null;
    if (!peer.pc.remoteDescription) {
      peer.pendingCandidates.push(candidate);
      return;
    }
    try {
      await peer.pc.addIceCandidate(candidate);
    } catch (error) { /* a candidate of an old ICE generation: harmless */ }
  }

  async _flushCandidates(peer) {
    const pending = peer.pendingCandidates.splice(0);
    for (const candidate of pending) {
      try { await peer.pc.addIceCandidate(candidate); } catch (error) { /* ignore */ }
    }
  }

  _onConnectionState(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    const state = peer.pc.connectionState;
    const ice = peer.pc.iceConnectionState;
    this._emit("peer-state", { id, state, ice });
    this.mediaState({ connection: state === "connected" || ice === "connected" || ice === "completed" ? "connected" : state, peer: id });
    clearTimeout(peer.restartTimer);
    if (state === "failed" || ice === "failed") {
      this._restartIce(id);
    } else if (state === "disconnected" || ice === "disconnected") {
      // A short drop often heals by itself; restart ICE if it does not within a few seconds.
      peer.restartTimer = setTimeout(() => this._restartIce(id), DISCONNECT_RESTART_MS);
    }
  }

  _restartIce(id) {
    const peer = this.peers.get(id);
    if (!peer || !peer.offerer || this.state !== "in-call") return;
    this._emit("ice-restart", { id });
    this._makeOffer(id, { iceRestart: true });
  }

  _removePeer(id, { quiet = false } = {}) {
    const peer = this.peers.get(id);
    if (!peer) return;
    clearTimeout(peer.restartTimer);
    clearTimeout(peer.answerTimer);
    peer.pc.close();
    this.peers.delete(id);
    if (!quiet) this._emit("peer-removed", { id });
    else this._emit("peer-replaced", { id });
  }
}

/** The ICE servers for this call from the API (an empty list on a LAN or in tests). */
export async function fetchIceServers(callId) {
  try {
    const response = await fetch(`/api/v1/calls/ice-servers/?call=${encodeURIComponent(callId)}`, { credentials: "same-origin" });
    if (!response.ok) return [];
    const data = await response.json();
    return data.iceServers || [];
  } catch (error) {
    return [];
  }
}

/** Camera and microphone; falls back to audio only when the camera is refused or missing. */
export async function getLocalMedia({ audioOnly = false, facingMode = "user" } = {}) {
  const audio = { echoCancellation: true, noiseSuppression: true };
  if (!audioOnly) {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio, video: { facingMode, width: { ideal: 640 }, height: { ideal: 480 } } });
      return { stream, audioOnly: false, error: null };
    } catch (error) {
      try {
        const stream = await navigator.mediaDevices.getUserMedia({ audio, video: false });
        return { stream, audioOnly: true, error };
      } catch (audioError) {
        return { stream: null, audioOnly: true, error: audioError };
      }
    }
  }
  try {
    return { stream: await navigator.mediaDevices.getUserMedia({ audio, video: false }), audioOnly: true, error: null };
  } catch (error) {
    return { stream: null, audioOnly: true, error };
  }
}

/** good / fair / poor from the stats of every connection (worst wins). */
export function qualityFrom(samples, previous = new Map()) {
  let level = "unknown";
  const rank = { unknown: 0, good: 1, fair: 2, poor: 3 };
  for (const sample of samples) {
    const before = previous.get(sample.id);
    let loss = 0;
    if (before) {
      const lost = sample.packetsLost - before.packetsLost;
      const received = sample.packetsReceived - before.packetsReceived;
      loss = lost + received > 0 ? lost / (lost + received) : 0;
    }
    let current = "good";
    if (sample.connectionState !== "connected") current = "poor";
    else if (loss > 0.08 || (sample.rtt !== null && sample.rtt > 0.6)) current = "poor";
    else if (loss > 0.02 || (sample.rtt !== null && sample.rtt > 0.3)) current = "fair";
    if (rank[current] > rank[level]) level = current;
  }
  return level;
}
