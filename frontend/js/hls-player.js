// Glue between OnAir's Rust bindings (frontend/src/bindings/hls.rs) and hls.js.
//
// hls.js (npm, pinned; the light build) is not part of any page's first load: the pages that may
// play HLS name its content-hashed script in `<meta name="onair-hls-player">`, and it is fetched
// the first time a player starts. Where the browser plays HLS itself (Safari), hls.js is not
// needed at all.
//
// A `HlsPlayer` reports plain-object events to one callback: `{type: 'waiting'}` while there
// is nothing to play yet (the broadcast is starting, or the playlist is gone for a moment: it
// tries again every few seconds), `{type: 'playing'}` once frames show, `{type: 'soundBlocked'}`
// when the browser would only play it muted (the page offers "Tap to unmute"), and
// `{type: 'failed', message}` when this browser cannot play HLS.

const PLAYER_META = 'onair-hls-player';
/** How a passcode stream's playlist and segments are asked for (README, "Passcodes"). */
const PASSCODE_HEADER = 'X-Stream-Passcode';
/** How long a player waits before asking again for a playlist that was not there. */
const RETRY_MS = 3000;

let hlsLoading = null;

/** Loads hls.js once; resolves to its `Hls` class. */
function loadHls() {
  if (window.Hls) return Promise.resolve(window.Hls);
  if (!hlsLoading) {
    const meta = document.querySelector(`meta[name="${PLAYER_META}"]`);
    if (!meta) return Promise.reject(new Error('This page does not name the HLS player.'));
    hlsLoading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = meta.content;
      script.async = true;
      script.onload = () => resolve(window.Hls);
      script.onerror = () => {
        script.remove();
        hlsLoading = null;
        reject(new Error('The HLS player could not be loaded.'));
      };
      document.head.appendChild(script);
    });
  }
  return hlsLoading;
}

export class HlsPlayer {
  /** @param {(event: object) => void} onEvent where the player's events go. */
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.hls = null;
    this.video = null;
    this.url = null;
    this.retryTimer = null;
    this.stopped = false;
    this.onPlaying = () => this.emit({ type: 'playing' });
    // How far behind the picture is, on the element for whoever measures it (the browser suite).
    this.onTimeUpdate = () => {
      const delay = this.delaySeconds();
      if (delay !== null) this.video.dataset.delaySeconds = delay.toFixed(2);
    };
  }

  emit(event) {
    if (this.stopped) return;
    try {
      this.onEvent(event);
    } catch (error) {
      console.error('OnAir HLS event handler failed', error);
    }
  }

  /**
   * Plays the playlist at `url` in `video`, with sound if the browser lets it; a passcode
   * stream's `passcode` goes with every request.
   */
  async play(video, url, passcode) {
    this.video = video;
    this.url = url;
    this.passcode = passcode || null;
    video.addEventListener('playing', this.onPlaying);
    video.addEventListener('timeupdate', this.onTimeUpdate);
    this.emit({ type: 'waiting' });
    let Hls = null;
    try {
      Hls = await loadHls();
    } catch (error) {
      if (!video.canPlayType('application/vnd.apple.mpegurl')) {
        this.emit({ type: 'failed', message: error.message });
        return;
      }
    }
    if (this.stopped) return;
    if (Hls && Hls.isSupported()) this.start(Hls);
    else if (video.canPlayType('application/vnd.apple.mpegurl')) this.startNative();
    else this.emit({ type: 'failed', message: 'This browser cannot play HLS.' });
  }

  start(Hls) {
    // Two 2-second segments behind the live edge: as close as a steady picture allows.
    const hls = new Hls({
      liveSyncDurationCount: 2,
      liveMaxLatencyDurationCount: 5,
      maxBufferLength: 12,
      backBufferLength: 12,
      xhrSetup: (xhr) => {
        if (this.passcode) xhr.setRequestHeader(PASSCODE_HEADER, encodeURIComponent(this.passcode));
      },
    });
    this.hls = hls;
    hls.on(Hls.Events.MANIFEST_PARSED, () => this.startPlayback());
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
        return;
      }
      // The playlist is not there (yet, or any more): ask again in a moment.
      hls.destroy();
      this.hls = null;
      this.emit({ type: 'waiting' });
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (!this.stopped) this.start(Hls);
      }, RETRY_MS);
    });
    hls.loadSource(this.url);
    hls.attachMedia(this.video);
  }

  startNative() {
    this.video.src = this.url;
    this.video.addEventListener('loadedmetadata', () => this.startPlayback(), { once: true });
  }

  /** Plays with sound, else muted (the browser holds sound back until a tap). */
  startPlayback() {
    const video = this.video;
    video.muted = false;
    video.play().catch((error) => {
      if (error && error.name === 'NotAllowedError') {
        video.muted = true;
        this.emit({ type: 'soundBlocked' });
        video.play().catch(() => {});
      }
    });
  }

  /** After a tap: plays the sound; resolves to whether it plays. */
  async unmute() {
    if (!this.video) return false;
    this.video.muted = false;
    try {
      await this.video.play();
      return true;
    } catch {
      this.video.muted = true;
      return false;
    }
  }

  /**
   * How far behind the broadcaster's clock the picture shown is, in seconds: now minus the
   * wall-clock time the segment playlist gives the frame on screen (egress writes
   * `#EXT-X-PROGRAM-DATE-TIME`); `null` before the first frame.
   */
  delaySeconds() {
    const playing = this.hls && this.hls.playingDate;
    return playing ? (Date.now() - playing.getTime()) / 1000 : null;
  }

  destroy() {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.hls) this.hls.destroy();
    this.hls = null;
    if (this.video) {
      this.video.removeEventListener('playing', this.onPlaying);
      this.video.removeEventListener('timeupdate', this.onTimeUpdate);
      this.video.removeAttribute('src');
    }
  }
}
