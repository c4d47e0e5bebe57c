// Glue between OnAir's Rust bindings (frontend/src/bindings/livekit.rs) and the livekit-client SDK.
//
// The SDK (livekit-client, UMD build, global `LivekitClient`) is a script only of the pages that
// connect, so the home page never downloads it. Everything the Rust side needs from a
// room goes through a `Session`: plain-object events to one callback, and a few methods that
// return plain values. Text streams on topic `lk.chat` carry chat, as LiveKit's own components
// do; `onair.chat-history` carries the host's recent messages to a newcomer.
//
// A host's camera and microphone first open as a preview (local tracks, not published); going
// live publishes those same tracks, so the picture does not blink.

// Pages that connect run the SDK (content-hashed) as an async script of their own, so it
// downloads and runs while the wasm compiles; `loadSdk` waits for that script, and adds it again
// only if it failed.
const SDK_SCRIPT_ID = 'livekit-sdk';
const CHAT_TOPIC = 'lk.chat';
const HISTORY_TOPIC = 'onair.chat-history';
// Reactions: reliable data packets on this topic, UTF-8 JSON `{"emoji":"🔥"}` (README, "Reactions").
const REACTION_TOPIC = 'onair.reaction';
/** The pseudo track sid under which the camera preview can be attached. */
const PREVIEW_PREFIX = 'preview:';

let sdkLoading = null;

function sdkLoaded() {
  window.LivekitClient.setLogLevel('warn');
  performance.mark('onair:sdk-ready');
}

/** Adds a fresh copy of the SDK's script; resolves when it has run. */
function addSdkScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.async = true;
    script.onload = () => resolve();
    script.onerror = () => {
      script.remove();
      reject(new Error('The LiveKit SDK could not be loaded.'));
    };
    document.head.appendChild(script);
  });
}

/**
 * Resolves when the page's own SDK script has run. If it failed (perhaps before we listened),
 * the window's load event tells, as async scripts hold it back: then the script is added again.
 */
function pageSdkRan(pageScript) {
  const retry = () => (window.LivekitClient ? Promise.resolve() : addSdkScript(pageScript.src));
  if (document.readyState === 'complete') return retry();
  return new Promise((resolve, reject) => {
    pageScript.addEventListener('load', () => resolve(), { once: true });
    window.addEventListener('load', () => retry().then(resolve, reject), { once: true });
  });
}

/** Loads the LiveKit SDK once: the page's own script, or a new one when that one failed. */
export function loadSdk() {
  if (!sdkLoading) {
    const pageScript = document.getElementById(SDK_SCRIPT_ID);
    if (!window.LivekitClient && !pageScript) {
      return Promise.reject(new Error('This page does not name the LiveKit SDK.'));
    }
    const ran = window.LivekitClient ? Promise.resolve() : pageSdkRan(pageScript);
    sdkLoading = ran.then(sdkLoaded, (error) => {
      sdkLoading = null;
      throw error;
    });
  }
  return sdkLoading;
}

/** How OnAir's rooms are set up (publishing options matter only to the host). */
function newRoom(LK) {
  return new LK.Room({
    adaptiveStream: true,
    dynacast: true,
    publishDefaults: { simulcast: true, videoCodec: 'vp8' },
    videoCaptureDefaults: { resolution: LK.VideoPresets.h720.resolution },
  });
}

/** A room whose connection was prepared before the person clicked join, and for which URL. */
let prepared = null;

/**
 * Warms up the connection to LiveKit (`Room.prepareConnection`) while the person is still on
 * the join form; the next `Session.connect` to the same URL uses that room.
 */
export async function prepareConnection(url, token) {
  await loadSdk();
  if (!prepared || prepared.url !== url) {
    prepared = { url, room: newRoom(window.LivekitClient) };
  }
  await prepared.room.prepareConnection(url, token);
}

function participantInfo(participant) {
  const attributes = participant.attributes || {};
  // An encoder (OBS through LiveKit Ingress) has no attributes; onair names it `encoder-…`.
  const role = attributes.role || (participant.identity.startsWith('encoder-') ? 'encoder' : '');
  return {
    identity: participant.identity,
    name: participant.name || participant.identity,
    role,
    isLocal: participant.isLocal === true,
    // Set by onair's server through LiveKit, never by the participant (see src/stage.rs).
    handRaised: attributes.hand === 'raised',
    onStage: attributes.stage === 'guest',
    canPublish: !!(participant.permissions && participant.permissions.canPublish),
  };
}

function trackInfo(publication, participant) {
  return {
    sid: publication.trackSid,
    kind: publication.kind,
    source: publication.source,
    participant: participant.identity,
    muted: publication.isMuted === true,
  };
}

function errorMessage(error) {
  if (!error) return 'unknown error';
  return error.message || String(error);
}

export class Session {
  /** @param {(event: object) => void} onEvent */
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.room = null;
    this.audioElements = new Map();
    /** Local tracks opened for the preview and not published yet, by source. */
    this.preview = new Map();
  }

  emit(event) {
    try {
      this.onEvent(event);
    } catch (error) {
      console.error('OnAir event handler failed', error);
    }
  }

  /** Connects; resolves when joined, rejects with a message LiveKit gave. */
  async connect(url, token) {
    await loadSdk();
    const LK = window.LivekitClient;
    const E = LK.RoomEvent;
    let room;
    if (prepared && prepared.url === url) {
      room = prepared.room;
      prepared = null;
    } else {
      room = newRoom(LK);
    }
    this.room = room;
    room
      .on(E.ConnectionStateChanged, (state) => this.emit({ type: 'connectionState', state }))
      .on(E.Disconnected, (reason) =>
        this.emit({ type: 'disconnected', reason: LK.DisconnectReason[reason] || String(reason ?? 'UNKNOWN_REASON') }))
      .on(E.ParticipantConnected, (p) => this.emit({ type: 'participantConnected', participant: participantInfo(p) }))
      .on(E.ParticipantDisconnected, (p) => this.emit({ type: 'participantDisconnected', identity: p.identity }))
      .on(E.TrackSubscribed, (_track, pub, p) => this.emit({ type: 'trackSubscribed', track: trackInfo(pub, p) }))
      .on(E.TrackUnsubscribed, (_track, pub, p) => {
        this.dropAudio(pub.trackSid);
        this.emit({ type: 'trackUnsubscribed', track: trackInfo(pub, p) });
      })
      .on(E.TrackMuted, (pub, p) => this.emit({ type: 'trackMuted', track: trackInfo(pub, p) }))
      .on(E.TrackUnmuted, (pub, p) => this.emit({ type: 'trackUnmuted', track: trackInfo(pub, p) }))
      .on(E.LocalTrackPublished, (pub, p) => this.emit({ type: 'localTrackPublished', track: trackInfo(pub, p) }))
      .on(E.LocalTrackUnpublished, (pub, p) => this.emit({ type: 'localTrackUnpublished', track: trackInfo(pub, p) }))
      .on(E.AudioPlaybackStatusChanged, () => this.emit({ type: 'audioPlayback', canPlay: room.canPlaybackAudio }))
      .on(E.RecordingStatusChanged, (recording) => this.emit({ type: 'recording', active: recording }))
      .on(E.MediaDevicesError, (error) => this.emit({ type: 'mediaError', message: errorMessage(error) }))
      .on(E.ParticipantNameChanged, (_name, p) => this.emit({ type: 'participantConnected', participant: participantInfo(p) }))
      .on(E.ParticipantAttributesChanged, (_changed, p) => this.emit({ type: 'participantConnected', participant: participantInfo(p) }))
      .on(E.ParticipantPermissionsChanged, (_before, p) => this.emit({ type: 'participantConnected', participant: participantInfo(p) }))
      .on(E.DataReceived, (payload, p, _kind, topic) => {
        if (topic !== REACTION_TOPIC || !p) return;
        try {
          const { emoji } = JSON.parse(new TextDecoder().decode(payload));
          if (typeof emoji === 'string') this.emit({ type: 'reaction', emoji, from: p.identity });
        } catch {
          // Not a reaction in OnAir's format: ignored.
        }
      });

    room.registerTextStreamHandler(CHAT_TOPIC, async (reader, from) => {
      const text = await reader.readAll();
      const sender = room.getParticipantByIdentity(from.identity);
      this.emit({
        type: 'chat',
        message: {
          id: reader.info.id,
          senderIdentity: from.identity,
          senderName: (sender && sender.name) || from.identity,
          text,
          timestamp: reader.info.timestamp,
        },
      });
    });
    room.registerTextStreamHandler(HISTORY_TOPIC, async (reader, from) => {
      const text = await reader.readAll();
      const sender = room.getParticipantByIdentity(from.identity);
      const role = (sender && sender.attributes && sender.attributes.role) || '';
      this.emit({ type: 'history', fromRole: role, payload: text });
    });

    try {
      performance.mark('onair:connecting');
      room.once(E.SignalConnected, () => performance.mark('onair:signal-connected'));
      await room.connect(url, token, { autoSubscribe: true });
    } catch (error) {
      this.room = null;
      room.removeAllListeners();
      throw new Error(errorMessage(error));
    }
    performance.mark('onair:connected');
    // Who was already there, and what they publish (no events fire for them).
    this.emit({ type: 'connectionState', state: room.state });
    this.emit({ type: 'participantConnected', participant: participantInfo(room.localParticipant) });
    for (const p of room.remoteParticipants.values()) {
      this.emit({ type: 'participantConnected', participant: participantInfo(p) });
    }
    this.emit({ type: 'recording', active: room.isRecording });
    this.emit({ type: 'audioPlayback', canPlay: room.canPlaybackAudio });
  }

  disconnect() {
    const room = this.room;
    this.room = null;
    for (const element of this.audioElements.values()) element.remove();
    this.audioElements.clear();
    for (const track of this.preview.values()) track.stop();
    this.preview.clear();
    if (room) {
      room.unregisterTextStreamHandler(CHAT_TOPIC);
      room.unregisterTextStreamHandler(HISTORY_TOPIC);
      room.removeAllListeners();
      room.disconnect();
    }
  }

  requireRoom() {
    if (!this.room) throw new Error('not connected');
    return this.room;
  }

  /** Turns camera, microphone or screen share on or off; resolves to the new state. */
  async setSource(source, enabled, deviceId) {
    const participant = this.requireRoom().localParticipant;
    try {
      if (source === 'camera') {
        await participant.setCameraEnabled(enabled, deviceId ? { deviceId } : undefined);
        return participant.isCameraEnabled;
      }
      if (source === 'microphone') {
        await participant.setMicrophoneEnabled(enabled, deviceId ? { deviceId } : undefined);
        return participant.isMicrophoneEnabled;
      }
      if (source === 'screen_share') {
        await participant.setScreenShareEnabled(enabled, { audio: true });
        return participant.isScreenShareEnabled;
      }
    } catch (error) {
      throw new Error(errorMessage(error));
    }
    throw new Error(`unknown source ${source}`);
  }

  /** Opens the camera or microphone for the preview; resolves to the device id in use. */
  async openPreview(source, deviceId) {
    const LK = window.LivekitClient;
    this.closePreview(source);
    // `exact`, as the SDK's switchActiveDevice does: a bare id is only a preference.
    const wanted = deviceId ? { exact: deviceId } : undefined;
    try {
      const track =
        source === 'camera'
          ? await LK.createLocalVideoTrack({ deviceId: wanted, resolution: LK.VideoPresets.h720.resolution })
          : await LK.createLocalAudioTrack({ deviceId: wanted });
      this.preview.set(source, track);
      return (await track.getDeviceId()) || null;
    } catch (error) {
      throw new Error(errorMessage(error));
    }
  }

  closePreview(source) {
    const track = this.preview.get(source);
    if (track) {
      track.stop();
      this.preview.delete(source);
    }
  }

  /** Publishes the preview's tracks: the host is on air. */
  async goLive() {
    const participant = this.requireRoom().localParticipant;
    try {
      for (const [source, track] of this.preview) {
        await participant.publishTrack(track);
        this.preview.delete(source);
      }
    } catch (error) {
      throw new Error(errorMessage(error));
    }
  }

  /** Moves the camera or microphone (previewed or live) to another device. */
  async switchDevice(kind, deviceId) {
    const previewed = this.preview.get(kind === 'videoinput' ? 'camera' : 'microphone');
    try {
      // `exact`, as the SDK's switchActiveDevice does: a bare id is only a preference.
      if (previewed) await previewed.setDeviceId({ exact: deviceId });
      else await this.requireRoom().switchActiveDevice(kind, deviceId);
    } catch (error) {
      throw new Error(errorMessage(error));
    }
  }

  findTrack(sid) {
    if (sid.startsWith(PREVIEW_PREFIX)) return this.preview.get(sid.slice(PREVIEW_PREFIX.length)) || null;
    const room = this.room;
    if (!room) return null;
    for (const p of [room.localParticipant, ...room.remoteParticipants.values()]) {
      const publication = p.getTrackPublicationBySid ? p.getTrackPublicationBySid(sid) : p.trackPublications.get(sid);
      if (publication && publication.track) return publication.track;
    }
    return null;
  }

  /** Shows a video track in `element`; false if the track is gone. */
  attach(sid, element) {
    const track = this.findTrack(sid);
    if (!track) return false;
    track.attach(element);
    return true;
  }

  detach(sid, element) {
    const track = this.findTrack(sid);
    if (track) track.detach(element);
  }

  /** Plays an audio track through an element of its own, kept out of the layout. */
  playAudio(sid) {
    if (this.audioElements.has(sid)) return true;
    const track = this.findTrack(sid);
    if (!track) return false;
    const element = track.attach();
    element.dataset.onairAudio = sid;
    element.style.display = 'none';
    document.body.appendChild(element);
    this.audioElements.set(sid, element);
    return true;
  }

  dropAudio(sid) {
    const element = this.audioElements.get(sid);
    if (element) {
      const track = this.findTrack(sid);
      if (track) track.detach(element);
      element.remove();
      this.audioElements.delete(sid);
    }
  }

  /** After a user gesture: lets blocked audio play. */
  async startAudio() {
    await this.requireRoom().startAudio();
    return this.requireRoom().canPlaybackAudio;
  }

  /** Sends a chat message; resolves to its id and timestamp. */
  async sendChat(text) {
    const info = await this.requireRoom().localParticipant.sendText(text, { topic: CHAT_TOPIC });
    return { id: info.id, timestamp: info.timestamp };
  }

  /** Sends a reaction to everyone else in the room. */
  async sendReaction(emoji) {
    const payload = new TextEncoder().encode(JSON.stringify({ emoji }));
    await this.requireRoom().localParticipant.publishData(payload, { reliable: true, topic: REACTION_TOPIC });
  }

  /** Sends the recent chat (JSON) to one participant. */
  async sendHistory(identity, payload) {
    await this.requireRoom().localParticipant.sendText(payload, {
      topic: HISTORY_TOPIC,
      destinationIdentities: [identity],
    });
  }
}

/** Cameras or microphones, after permission was granted (labels are empty before). */
export async function listDevices(kind) {
  await loadSdk();
  const devices = await window.LivekitClient.Room.getLocalDevices(kind, false);
  return devices.map((d) => ({ deviceId: d.deviceId, label: d.label || 'Unnamed device' }));
}
