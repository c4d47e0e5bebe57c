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
function loadSdk() {
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

function participantRole(participant) {
  const attributes = participant.attributes || {};
  // An encoder (OBS through LiveKit Ingress) has no attributes; onair names it `encoder-…`.
  return attributes.role || (participant.identity.startsWith('encoder-') ? 'encoder' : '');
}

/** Whether the participant's picture is the stream's own (the host's camera, or OBS). */
function isBroadcaster(participant) {
  const role = participantRole(participant);
  return role === 'host' || role === 'encoder';
}

function participantInfo(participant) {
  const attributes = participant.attributes || {};
  const role = participantRole(participant);
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
  /**
   * @param {((event: object) => void) | null} onEvent where events go; without one they wait
   *   for {@link Session#adopt} (a viewer's early join, before the app has started).
   */
  constructor(onEvent = null) {
    this.onEvent = onEvent;
    this.waitingEvents = onEvent ? null : [];
    this.room = null;
    this.audioElements = new Map();
    /** Local tracks opened for the preview and not published yet, by source. */
    this.preview = new Map();
  }

  /**
   * Hands the events to `onEvent`: those that waited for it when {@link Session#release} is
   * called (once the caller has stored the session, which their handling may need), then the
   * rest, in order.
   */
  adopt(onEvent) {
    this.onEvent = onEvent;
    return this;
  }

  /** Delivers the events that waited for {@link Session#adopt}; from now on, each as it comes. */
  release() {
    const waiting = this.waitingEvents || [];
    this.waitingEvents = null;
    for (const event of waiting) this.emit(event);
  }

  emit(event) {
    if (this.waitingEvents) {
      this.waitingEvents.push(event);
      return;
    }
    try {
      this.onEvent(event);
    } catch (error) {
      console.error('OnAir event handler failed', error);
    }
  }

  /**
   * Connects; resolves when joined, rejects with a message LiveKit gave. `watch(room, LK)`, if
   * given, sees the room before it connects (the early join's first picture). Without
   * `subscribe`, nothing is subscribed: a viewer of the HLS broadcast is in the room for its
   * chat and reactions, at the cost of a signalling connection to the SFU, not of media.
   */
  async connect(url, token, watch = null, subscribe = true) {
    await loadSdk();
    const LK = window.LivekitClient;
    const E = LK.RoomEvent;
    const room = newRoom(LK);
    this.room = room;
    /** Media: `auto` (LiveKit subscribes), `none` (HLS viewer), `all` (subscribed by hand). */
    this.media = subscribe ? 'auto' : 'none';
    if (watch) watch(room, LK);
    // Without media, what others publish is told as published (nothing is subscribed); once
    // subscribed by hand (see subscribeAll), what is published next is subscribed to.
    const published = (type) => (pub, p) => {
      if (this.media === 'none') this.emit({ type, track: trackInfo(pub, p) });
      else if (this.media === 'all' && type === 'trackPublished') pub.setSubscribed(true);
    };
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
      .on(E.TrackPublished, published('trackPublished'))
      .on(E.TrackUnpublished, published('trackUnpublished'))
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
      // The sender is the identity LiveKit's server stamps on the packet, not a participant
      // looked up in the room: LiveKit announces those who publish nothing (viewers) to the
      // others in a batch every 3 s, so a viewer who reacts just after joining is not in the
      // room's list yet, though the packet is theirs (empty only from a hidden participant).
      .on(E.DataReceived, (payload, _participant, _kind, topic, _encryption, from) => {
        if (topic !== REACTION_TOPIC || !from) return;
        try {
          const { emoji } = JSON.parse(new TextDecoder().decode(payload));
          if (typeof emoji === 'string') this.emit({ type: 'reaction', emoji, from });
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
      await room.connect(url, token, { autoSubscribe: subscribe });
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
      if (!subscribe) {
        for (const pub of p.trackPublications.values()) {
          this.emit({ type: 'trackPublished', track: trackInfo(pub, p) });
        }
      }
    }
    this.emit({ type: 'recording', active: room.isRecording });
    this.emit({ type: 'audioPlayback', canPlay: room.canPlaybackAudio });
  }

  /** Connects for chat and reactions only (a viewer watching the HLS broadcast). */
  connectWithoutMedia(url, token) {
    return this.connect(url, token, null, false);
  }

  /**
   * Receives everything published in the room from now on, after joining without media (an
   * HLS viewer invited on stage, who must see and hear the others without the broadcast's
   * delay). Tracks arrive as `trackSubscribed` events.
   */
  subscribeAll() {
    const room = this.requireRoom();
    if (this.media !== 'none') return;
    this.media = 'all';
    for (const p of room.remoteParticipants.values()) {
      for (const pub of p.trackPublications.values()) pub.setSubscribed(true);
    }
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

// ---------------------------------------------------------------------------------------------
// A viewer's early join. Opening `/stream/:id` plays the stream with no click, and the first
// frame should come as soon as the SDK allows: so the viewer page does not wait for its app to
// start. When this module runs (an async module of the viewer page, so as soon as it is fetched;
// the page's entry imports it too, before the wasm is instantiated),
// it asks for the viewer's token at once (with the name and passcode this browser remembers),
// and joins the room as soon as the SDK's script has run; the app takes the token's answer and
// the joined session over with `takeEarlyJoin`, the room's events having waited for it.

const VIEWER_NAME_KEY = 'onair.viewerName';
const WATCH_PATH = /^\/stream\/([A-Za-z0-9_-]{1,64})\/?$/;

/** The passcode in the link's fragment (`#pc=…`; the app takes it out of the address bar). */
function fragmentPasscode() {
  for (const part of location.hash.replace(/^#/, '').split('&')) {
    const [key, value] = part.split('=');
    if (key === 'pc' && value) {
      try {
        return decodeURIComponent(value);
      } catch {
        return null;
      }
    }
  }
  return null;
}

function storedItem(storage, key) {
  try {
    const value = storage.getItem(key);
    return value && value.trim() ? value : null;
  } catch {
    return null; // storage disabled
  }
}

function startEarlyJoin() {
  const match = WATCH_PATH.exec(location.pathname);
  // `?hls` watches the HLS broadcast, not the room.
  if (!match || new URLSearchParams(location.search).has('hls')) return null;
  const roomName = match[1];
  const name = storedItem(localStorage, VIEWER_NAME_KEY);
  const passcode = fragmentPasscode() || storedItem(sessionStorage, `onair.passcode.${roomName}`);
  const body = { roomName };
  if (name) body.participantName = name;
  if (passcode) body.passcode = passcode;
  performance.mark('onair:token-asked');
  // `{status, text}` of the answer; `null` when the request could not be made.
  const answer = fetch('/api/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(
    async (response) => ({ status: response.status, text: await response.text() }),
    () => null,
  );
  const session = new Session();
  let picturesComing = false;
  const joined = answer.then(async (token) => {
    if (!token || token.status !== 200) return false;
    const { serverUrl, token: jwt, playback } = JSON.parse(token.text);
    // The stream's WebRTC audience is full: the app plays the HLS broadcast, and the room is
    // for chat and reactions.
    const subscribe = playback !== 'hls';
    picturesComing = subscribe;
    await session.connect(serverUrl, jwt, (room, LK) =>
      room.on(LK.RoomEvent.TrackSubscribed, (track, publication, participant) =>
        earlyPicture.show(track, publication, participant)), subscribe);
    return true;
  });
  // Whoever takes the join over hears of its failure; nobody else has to.
  joined.catch(() => {});
  // The app may start once the picture is there, or once it is clear none is coming soon.
  const pictureOrNone = joined.then(
    (ok) =>
      ok && picturesComing && [...session.room.remoteParticipants.values()].some(publishesPicture)
        ? earlyPicture.presented
        : null,
    () => null,
  );
  return { name, passcode, answer, session, joined, pictureOrNone };
}

function publishesPicture(participant) {
  return isBroadcaster(participant) && [...participant.trackPublications.values()].some((p) => p.kind === 'video');
}

/**
 * The early join's first picture: the broadcaster's video, shown in an element of its own (in a
 * frame like the app's) as soon as it is subscribed, before the app has started. The app's stage adopts that
 * very element (`takeEarlyVideo`, then `placeIn`), so the picture neither blinks nor restarts.
 */
class EarlyPicture {
  constructor() {
    this.stage = null;
    this.video = null;
    this.sid = null;
    this.taken = false;
    this.presented = new Promise((resolve) => {
      this.markPresented = resolve;
    });
  }

  show(track, publication, participant) {
    if (this.taken || this.video || track.kind !== 'video' || !isBroadcaster(participant)) return;
    const video = document.createElement('video');
    video.className = 'video';
    video.dataset.testid = 'stream-video';
    video.dataset.source = publication.source;
    video.autoplay = true;
    video.muted = true;
    video.playsInline = true;
    const presented = () => this.markPresented();
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(presented);
    else video.addEventListener('loadeddata', presented, { once: true });
    // The page's frame and stage as the app lays them out (style/app.css), so the picture
    // shows where it will stay.
    this.stage = document.createElement('div');
    this.stage.className = 'shell early-stage';
    this.stage.innerHTML =
      '<header class="topbar"><a href="/" class="brand" aria-label="OnAir home">' +
      '<span class="brand-dot" aria-hidden="true"></span>OnAir</a></header>' +
      '<main class="page"><div class="watch-layout"><section class="stage-column">' +
      '<div class="stage"></div></section></div></main>';
    this.stage.querySelector('.stage').appendChild(video);
    // This module may run before the page's body is parsed (an async module of the page).
    const stage = this.stage;
    if (document.body) document.body.appendChild(stage);
    else document.addEventListener('DOMContentLoaded', () => document.body.appendChild(stage), { once: true });
    track.attach(video);
    this.video = video;
    this.sid = publication.trackSid;
  }

  /** The element and the track it shows, once, for the app's stage (`null` if none shows). */
  take() {
    if (this.taken) return null;
    this.taken = true;
    if (!this.video) return null;
    const { stage, video, sid } = this;
    return {
      sid,
      element: video,
      placeIn(slot) {
        slot.appendChild(video);
        stage.remove();
      },
    };
  }

  /** Takes the picture away (the early join was given up). */
  drop() {
    this.taken = true;
    if (this.stage) this.stage.remove();
  }
}

const earlyPicture = new EarlyPicture();
let earlyJoin = startEarlyJoin();

/** How long the app waits for the early picture before it starts anyway. */
const APP_WAITS_FOR_PICTURE_MS = 3000;

/**
 * When the page's app may start (`cargo xtask build` makes the entry of each page that
 * connects wait for it). On a viewer page with an early join, once the first picture is there,
 * or once it is clear none is coming (the token was refused, the join failed, nobody publishes
 * a picture yet): the SDK's parsing and the join are the first frame's path, and the app's
 * start (instantiating the wasm, the first render) would take the main thread from them.
 * Elsewhere, at once.
 */
export function appMayStart() {
  if (!earlyJoin) return Promise.resolve();
  const timeout = new Promise((resolve) => setTimeout(resolve, APP_WAITS_FOR_PICTURE_MS));
  return Promise.race([earlyJoin.pictureOrNone, timeout]);
}

/**
 * The early join's picture for the app's stage, once: `{sid, element, placeIn(slot)}`, or
 * `null` when none shows (after this, the early join shows none).
 */
export function takeEarlyVideo() {
  return earlyPicture.take();
}

/**
 * The early join of this page, once (`null` if there is none, or it was taken): the name and
 * passcode it asked with, `answer()` (the token request's `{status, text}`, or `null`),
 * `joined()` (resolves `true` once joined, `false` if the token was refused; rejects with
 * LiveKit's message), and `adopt(onEvent)` to take the session over.
 */
export function takeEarlyJoin() {
  const taken = earlyJoin;
  earlyJoin = null;
  if (!taken) return null;
  return {
    name: taken.name,
    passcode: taken.passcode,
    answer: () => taken.answer,
    joined: () => taken.joined,
    adopt: (onEvent) => taken.session.adopt(onEvent),
    abandon: () => {
      earlyPicture.drop();
      taken.joined.catch(() => {}).finally(() => taken.session.disconnect());
    },
  };
}

/** Cameras or microphones, after permission was granted (labels are empty before). */
export async function listDevices(kind) {
  await loadSdk();
  const devices = await window.LivekitClient.Room.getLocalDevices(kind, false);
  return devices.map((d) => ({ deviceId: d.deviceId, label: d.label || 'Unnamed device' }));
}
