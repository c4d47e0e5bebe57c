// onair-recorder: a minimal LiveKit-egress-compatible worker (PROTOTYPE).
//
// It speaks the egress psrpc protocol over Redis, so livekit-server's own Egress API
// (StartRoomCompositeEgress / StopEgress / ListEgress) drives it unchanged. For a
// RoomComposite request with one MP4 file output it joins the room as a hidden recorder,
// forwards the RTP of the first video and the first audio track to gst-launch-1.0 over loopback
// UDP (video: jitterbuffer -> depay -> decode -> scale to a fixed canvas -> x264 -> mp4mux;
// audio: Opus passed through into the same MP4), and uploads the file to S3 (path-style
// supported) on stop. Needs Debian's gstreamer1.0-{tools,plugins-base,plugins-good,
// plugins-bad,plugins-ugly,libav} and ffmpeg (ffprobe) at run time; no Chrome, Xvfb or PulseAudio.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/logger"
	"github.com/livekit/protocol/rpc"
	"github.com/livekit/psrpc"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/pion/webrtc/v4"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"
)

var (
	redisAddr  = flag.String("redis", "127.0.0.1:6379", "redis address (same as livekit-server)")
	wsURL      = flag.String("ws-url", "ws://127.0.0.1:7880", "livekit url")
	apiKey     = flag.String("api-key", os.Getenv("LIVEKIT_API_KEY"), "api key")
	apiSecret  = flag.String("api-secret", os.Getenv("LIVEKIT_API_SECRET"), "api secret")
	tmpDir     = flag.String("tmp-dir", os.TempDir(), "where files are written before upload")
	maxJobs    = flag.Int("max-jobs", 1, "concurrent recordings")
	healthPort = flag.Int("health-port", 0, "GET /healthz on 127.0.0.1:PORT (0 = off)")
	sweepEvery = flag.Duration("sweep-every", 30*time.Second, "how often to look for egresses whose worker is gone (0 = never)")
	outWidth   = flag.Int("width", 1280, "output video width")
	outHeight  = flag.Int("height", 720, "output video height")
	x264Preset = flag.String("x264-preset", "veryfast", "x264 speed preset")
	videoKbps  = flag.Int("video-kbps", 2000, "output video bitrate")
	logLevel   = flag.String("log-level", "info", "debug | info | warn | error")
	trackWait  = flag.Duration("track-wait", 3*time.Second, "after the first track, wait this long for the others")
)

type worker struct {
	io      rpc.IOInfoClient
	handler rpc.EgressHandlerServer
	mu      sync.Mutex
	jobs    map[string]*job
}

type job struct {
	w      *worker
	info   *livekit.EgressInfo
	req    *livekit.RoomCompositeEgressRequest
	out    *livekit.EncodedFileOutput
	stopCh chan struct{}
	once   sync.Once
	mu     sync.Mutex
}

func main() {
	flag.Parse()
	logger.InitFromConfig(&logger.Config{Level: *logLevel}, "onair-recorder")
	lksdk.SetLogger(logger.GetLogger())
	if *apiKey == "" || *apiSecret == "" {
		fmt.Fprintln(os.Stderr, "api key/secret required")
		os.Exit(2)
	}
	rc := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{*redisAddr}})
	if err := rc.Ping(context.Background()).Err(); err != nil {
		logger.Errorw("redis", err)
		os.Exit(1)
	}
	bus := psrpc.NewRedisMessageBus(rc)
	w := &worker{jobs: map[string]*job{}}
	var err error
	if w.io, err = rpc.NewIOInfoClient(bus); err != nil {
		panic(err)
	}
	if w.handler, err = rpc.NewEgressHandlerServer(w, bus); err != nil {
		panic(err)
	}
	internal, err := rpc.NewEgressInternalServer(w, bus)
	if err != nil {
		panic(err)
	}
	if err := internal.RegisterStartEgressTopic(""); err != nil { // cluster id "" as livekit-server uses
		panic(err)
	}
	if err := internal.RegisterListActiveEgressTopic(""); err != nil {
		panic(err)
	}
	if ic, err := rpc.NewEgressInternalClient(bus); err == nil {
		go w.sweepOrphans(ic)
	}
	if *healthPort > 0 {
		go http.ListenAndServe(fmt.Sprintf("127.0.0.1:%d", *healthPort), http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			w.mu.Lock()
			n := len(w.jobs)
			w.mu.Unlock()
			fmt.Fprintf(rw, "ok active=%d\n", n)
		}))
	}
	logger.Infow("recorder ready", "redis", *redisAddr, "wsURL", *wsURL, "maxJobs", *maxJobs)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	logger.Infow("shutting down: stopping active recordings")
	internal.DeregisterStartEgressTopic("")
	w.mu.Lock()
	var wg sync.WaitGroup
	for _, j := range w.jobs {
		wg.Add(1)
		go func(j *job) { defer wg.Done(); j.stop(); j.waitDone(60 * time.Second) }(j)
	}
	w.mu.Unlock()
	wg.Wait()
	internal.Shutdown()
	w.handler.Shutdown()
}

// ---- EgressInternal ----

func (w *worker) StartEgressAffinity(ctx context.Context, req *rpc.StartEgressRequest) float32 {
	if req.GetRoomComposite() == nil {
		return -1
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.jobs) >= *maxJobs {
		return -1
	}
	return 1
}

func (w *worker) StartEgress(ctx context.Context, req *rpc.StartEgressRequest) (*livekit.EgressInfo, error) {
	rc := req.GetRoomComposite()
	if rc == nil {
		return nil, psrpc.NewErrorf(psrpc.InvalidArgument, "only RoomComposite is supported")
	}
	var out *livekit.EncodedFileOutput
	if f := rc.GetFile(); f != nil {
		out = f
	} else if len(rc.FileOutputs) == 1 {
		out = rc.FileOutputs[0]
	}
	if out == nil || len(rc.StreamOutputs)+len(rc.SegmentOutputs)+len(rc.ImageOutputs) > 0 {
		return nil, psrpc.NewErrorf(psrpc.InvalidArgument, "exactly one file output is supported")
	}
	if out.FileType != livekit.EncodedFileType_DEFAULT_FILETYPE && out.FileType != livekit.EncodedFileType_MP4 {
		return nil, psrpc.NewErrorf(psrpc.InvalidArgument, "only MP4 is supported")
	}
	if rc.AudioOnly || rc.VideoOnly {
		return nil, psrpc.NewErrorf(psrpc.InvalidArgument, "audio_only/video_only not supported")
	}
	w.mu.Lock()
	if len(w.jobs) >= *maxJobs {
		w.mu.Unlock()
		return nil, psrpc.NewErrorf(psrpc.ResourceExhausted, "busy")
	}
	now := time.Now().UnixNano()
	info := &livekit.EgressInfo{
		EgressId:   req.EgressId,
		RoomId:     req.RoomId,
		RoomName:   rc.RoomName,
		SourceType: livekit.EgressSourceType_EGRESS_SOURCE_TYPE_WEB,
		Status:     livekit.EgressStatus_EGRESS_STARTING,
		UpdatedAt:  now,
		Request:    &livekit.EgressInfo_RoomComposite{RoomComposite: rc},
	}
	j := &job{w: w, info: info, req: rc, out: out, stopCh: make(chan struct{})}
	w.jobs[req.EgressId] = j
	w.mu.Unlock()
	if err := w.handler.RegisterStopEgressTopic(req.EgressId); err != nil {
		w.remove(req.EgressId)
		return nil, err
	}
	go j.run()
	logger.Infow("egress started", "egressID", req.EgressId, "room", rc.RoomName, "filepath", out.Filepath)
	return j.snapshot(), nil
}

func (w *worker) ListActiveEgress(ctx context.Context, _ *rpc.ListActiveEgressRequest) (*rpc.ListActiveEgressResponse, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ids := make([]string, 0, len(w.jobs))
	for id := range w.jobs {
		ids = append(ids, id)
	}
	return &rpc.ListActiveEgressResponse{EgressIds: ids}, nil
}

// ---- EgressHandler ----

func (w *worker) StopEgress(ctx context.Context, req *livekit.StopEgressRequest) (*livekit.EgressInfo, error) {
	w.mu.Lock()
	j := w.jobs[req.EgressId]
	w.mu.Unlock()
	if j == nil {
		return nil, psrpc.NewErrorf(psrpc.NotFound, "egress not found")
	}
	j.stop()
	j.mu.Lock()
	if j.info.Status == livekit.EgressStatus_EGRESS_ACTIVE || j.info.Status == livekit.EgressStatus_EGRESS_STARTING {
		j.info.Status = livekit.EgressStatus_EGRESS_ENDING
		j.info.UpdatedAt = time.Now().UnixNano()
	}
	j.mu.Unlock()
	return j.snapshot(), nil
}

func (w *worker) UpdateStream(context.Context, *livekit.UpdateStreamRequest) (*livekit.EgressInfo, error) {
	return nil, psrpc.ErrUnimplemented
}

func (w *worker) remove(id string) {
	w.mu.Lock()
	delete(w.jobs, id)
	w.mu.Unlock()
	w.handler.DeregisterStopEgressTopic(id)
}

// ---- job ----

func (j *job) stop() { j.once.Do(func() { close(j.stopCh) }) }

func (j *job) waitDone(d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		j.w.mu.Lock()
		_, ok := j.w.jobs[j.info.EgressId]
		j.w.mu.Unlock()
		if !ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (j *job) snapshot() *livekit.EgressInfo {
	j.mu.Lock()
	defer j.mu.Unlock()
	return cloneInfo(j.info)
}

func cloneInfo(i *livekit.EgressInfo) *livekit.EgressInfo {
	return proto.Clone(i).(*livekit.EgressInfo)
}

func (j *job) update(f func(i *livekit.EgressInfo)) {
	j.mu.Lock()
	f(j.info)
	j.info.UpdatedAt = time.Now().UnixNano()
	snap := cloneInfo(j.info)
	j.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := j.w.io.UpdateEgress(ctx, snap); err != nil {
		logger.Errorw("UpdateEgress failed", err, "egressID", snap.EgressId, "status", snap.Status)
	}
}

func (j *job) fail(err error) {
	logger.Errorw("egress failed", err, "egressID", j.info.EgressId)
	j.update(func(i *livekit.EgressInfo) {
		i.Status = livekit.EgressStatus_EGRESS_FAILED
		i.Error = err.Error()
		i.EndedAt = time.Now().UnixNano()
	})
}

type fwd struct {
	track *webrtc.TrackRemote
	rp    *lksdk.RemoteParticipant
	port  int
}

func (j *job) run() {
	defer j.w.remove(j.info.EgressId)
	id := j.info.EgressId
	tracks := make(chan fwd, 8)
	roomGone := make(chan struct{})
	var goneOnce sync.Once

	at := auth.NewAccessToken(*apiKey, *apiSecret).SetIdentity(id).SetName("recorder").
		SetValidFor(24 * time.Hour)
	f, t := false, true
	at.SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: j.req.RoomName, Hidden: true, Recorder: true,
		CanPublish: &f, CanSubscribe: &t})
	token, err := at.ToJWT()
	if err != nil {
		j.fail(err)
		return
	}
	cb := lksdk.NewRoomCallback()
	cb.ParticipantCallback.OnTrackSubscribed = func(track *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
		logger.Infow("track subscribed", "egressID", id, "kind", track.Kind().String(), "codec", track.Codec().MimeType, "participant", rp.Identity())
		select {
		case tracks <- fwd{track: track, rp: rp}:
		default:
		}
	}
	cb.OnDisconnected = func() { goneOnce.Do(func() { close(roomGone) }) }
	room, err := lksdk.ConnectToRoomWithToken(*wsURL, token, cb, lksdk.WithAutoSubscribe(true))
	if err != nil {
		j.fail(fmt.Errorf("could not join room: %w", err))
		return
	}
	defer room.Disconnect()

	// Gather the first video and the first audio track.
	var video, audio *fwd
	var waitAfterFirst <-chan time.Time
gather:
	for video == nil || audio == nil {
		select {
		case f := <-tracks:
			if f.track.Kind() == webrtc.RTPCodecTypeVideo && video == nil {
				video = &f
			} else if f.track.Kind() == webrtc.RTPCodecTypeAudio && audio == nil {
				audio = &f
			}
			if waitAfterFirst == nil {
				waitAfterFirst = time.After(*trackWait)
			}
		case <-waitAfterFirst:
			break gather
		case <-j.stopCh:
			j.fail(errors.New("stopped before any track was published"))
			return
		case <-roomGone:
			j.fail(errors.New("room closed before any track was published"))
			return
		}
	}

	local := filepath.Join(*tmpDir, id+".mp4")
	pipeline, err := buildPipeline(video, audio, local)
	if err != nil {
		j.fail(err)
		return
	}
	cmd := exec.Command("gst-launch-1.0", append([]string{"-e", "-q"}, pipeline...)...)
	cmd.Stderr = os.Stderr
	// If the recorder dies, gst gets SIGINT: EOS closes the (fragmented, so still playable) file.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGINT}
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		j.fail(fmt.Errorf("gst-launch: %w", err))
		return
	}
	gstDone := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			logger.Debugw("gst", "line", sc.Text())
		}
		gstDone <- cmd.Wait()
	}()
	time.Sleep(700 * time.Millisecond) // let udpsrc bind before packets flow

	var fwdWG sync.WaitGroup
	fwdCtx, fwdCancel := context.WithCancel(context.Background())
	for _, f := range []*fwd{video, audio} {
		if f == nil {
			continue
		}
		fwdWG.Add(1)
		go func(f *fwd) { defer fwdWG.Done(); forward(fwdCtx, f) }(f)
	}
	if video != nil { // ask for a keyframe now, and again shortly after
		go func() {
			for _, d := range []time.Duration{0, time.Second, 3 * time.Second} {
				time.Sleep(d)
				video.rp.WritePLI(video.track.SSRC())
			}
		}()
	}
	started := time.Now()
	j.update(func(i *livekit.EgressInfo) {
		i.Status = livekit.EgressStatus_EGRESS_ACTIVE
		i.StartedAt = started.UnixNano()
	})
	logger.Infow("recording", "egressID", id, "file", local)

	var gstErr error
	gstExited := false
	select {
	case <-j.stopCh:
	case <-roomGone:
		logger.Infow("room closed, stopping", "egressID", id)
	case gstErr = <-gstDone:
		gstExited = true
	}
	ended := time.Now()
	j.update(func(i *livekit.EgressInfo) { i.Status = livekit.EgressStatus_EGRESS_ENDING })
	fwdCancel()
	room.Disconnect()
	fwdWG.Wait()
	if !gstExited {
		_ = cmd.Process.Signal(syscall.SIGINT) // -e: EOS, mp4mux finalises the file
		select {
		case gstErr = <-gstDone:
		case <-time.After(10 * time.Second):
			// Seen once in ~10 runs: EOS never reaches the muxer. The fragmented MP4 written so far
			// is still playable, so keep it if ffprobe can read it.
			_ = cmd.Process.Kill()
			<-gstDone
			if d, err := probeDuration(local); err == nil && d > 0 {
				logger.Warnw("gstreamer did not finish within 10s; keeping the fragmented file", nil, "egressID", id, "duration", d)
				j.mu.Lock()
				j.info.Details = "pipeline killed after EOS timeout; file kept as written"
				j.mu.Unlock()
				gstErr = nil
			} else {
				gstErr = fmt.Errorf("gstreamer did not finish within 10s and the file is unreadable: %v", err)
			}
		}
	} else if gstErr == nil {
		gstErr = errors.New("gstreamer exited early")
	}
	if gstErr != nil {
		j.fail(fmt.Errorf("pipeline: %w", gstErr))
		return
	}
	st, err := os.Stat(local)
	if err != nil || st.Size() == 0 {
		j.fail(fmt.Errorf("empty output file: %v", err))
		return
	}
	location, err := upload(j.out, local)
	if err != nil {
		j.fail(fmt.Errorf("upload: %w", err))
		return // local file is kept for a retry by hand
	}
	_ = os.Remove(local)
	fi := &livekit.FileInfo{
		Filename:  j.out.Filepath,
		StartedAt: started.UnixNano(),
		EndedAt:   ended.UnixNano(),
		Duration:  ended.Sub(started).Nanoseconds(),
		Size:      st.Size(),
		Location:  location,
	}
	j.update(func(i *livekit.EgressInfo) {
		i.Status = livekit.EgressStatus_EGRESS_COMPLETE
		i.EndedAt = time.Now().UnixNano()
		i.FileResults = []*livekit.FileInfo{fi}
		i.Result = &livekit.EgressInfo_File{File: fi}
	})
	logger.Infow("egress complete", "egressID", id, "location", location, "size", st.Size())
}

func probeDuration(path string) (float64, error) {
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path).Output()
	if err != nil {
		return 0, err
	}
	var d float64
	_, err = fmt.Sscanf(strings.TrimSpace(string(out)), "%f", &d)
	return d, err
}

func freeUDPPort() (int, error) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

func buildPipeline(video, audio *fwd, out string) ([]string, error) {
	var p []string
	// mode=none: PTS from RTP timestamps only. The default (slave) mode produced buffers without
	// PTS here, which mp4mux rejects ("Buffer has no PTS").
	jb := "latency=300 mode=none"
	add := func(s string) { p = append(p, strings.Fields(s)...) }
	if video != nil {
		port, err := freeUDPPort()
		if err != nil {
			return nil, err
		}
		video.port = port
		c := video.track.Codec()
		var depay string
		switch strings.ToLower(c.MimeType) {
		case "video/h264":
			depay = "rtph264depay ! h264parse ! avdec_h264"
		case "video/vp8":
			depay = "rtpvp8depay ! vp8dec"
		default:
			return nil, fmt.Errorf("unsupported video codec %s", c.MimeType)
		}
		// Publishers change resolution all the time (bandwidth/CPU adaptation); MP4 can't take a
		// mid-stream SPS change, so decode, scale onto a fixed canvas and encode once.
		add(fmt.Sprintf(`udpsrc address=127.0.0.1 port=%d buffer-size=4194304 caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=%s,payload=%d ! rtpjitterbuffer %s ! %s ! videoconvert ! videoscale ! video/x-raw,width=%d,height=%d,pixel-aspect-ratio=1/1 ! x264enc tune=zerolatency speed-preset=%s bitrate=%d key-int-max=60 ! video/x-h264,profile=high ! h264parse ! queue ! mux.video_0`,
			port, strings.ToUpper(strings.TrimPrefix(strings.ToLower(c.MimeType), "video/")), c.PayloadType, jb, depay, *outWidth, *outHeight, *x264Preset, *videoKbps))
	}
	if audio != nil {
		port, err := freeUDPPort()
		if err != nil {
			return nil, err
		}
		audio.port = port
		c := audio.track.Codec()
		if !strings.EqualFold(c.MimeType, "audio/opus") {
			return nil, fmt.Errorf("unsupported audio codec %s", c.MimeType)
		}
		add(fmt.Sprintf(`udpsrc address=127.0.0.1 port=%d buffer-size=1048576 caps=application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=%d ! rtpjitterbuffer %[3]s ! rtpopusdepay ! opusparse ! queue ! mux.audio_0`, port, c.PayloadType, jb))
	}
	if video == nil && audio == nil {
		return nil, errors.New("no track")
	}
	// Fragmented while writing (a killed pipeline still leaves a playable file), finalised on EOS.
	add(fmt.Sprintf(`mp4mux name=mux fragment-duration=1000 fragment-mode=first-moov-then-finalise ! filesink location=%s`, out))
	return p, nil
}

func forward(ctx context.Context, f *fwd) {
	conn, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: f.port})
	if err != nil {
		logger.Errorw("dial udp", err)
		return
	}
	defer conn.Close()
	buf := make([]byte, 1500)
	var pkts, bytes, timeouts, other int
	pt := uint8(f.track.Codec().PayloadType)
	defer func() {
		logger.Infow("forwarder done", "kind", f.track.Kind().String(), "packets", pkts, "bytes", bytes, "timeouts", timeouts, "otherPT", other)
	}()
	for ctx.Err() == nil {
		_ = f.track.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, _, err := f.track.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				timeouts++
				continue
			}
			return
		}
		if n < 12 || buf[1]&0x7f != pt {
			other++ // RTX / other payload types: the depayloader must not see them
			continue
		}
		pkts++
		bytes += n
		_, _ = conn.Write(buf[:n])
	}
}

func upload(out *livekit.EncodedFileOutput, local string) (string, error) {
	s3 := out.GetS3()
	if s3 == nil {
		return "", errors.New("no s3 output in request")
	}
	endpoint := s3.Endpoint
	secure := true
	if endpoint == "" {
		endpoint = "s3.amazonaws.com"
		if s3.Region != "" {
			endpoint = "s3." + s3.Region + ".amazonaws.com"
		}
	} else if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		secure = u.Scheme == "https"
		endpoint = u.Host
	}
	lookup := minio.BucketLookupAuto
	if s3.ForcePathStyle {
		lookup = minio.BucketLookupPath
	}
	cl, err := minio.New(endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(s3.AccessKey, s3.Secret, s3.SessionToken),
		Secure:       secure,
		Region:       s3.Region,
		BucketLookup: lookup,
	})
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 2 * time.Second)
		}
		_, last = cl.FPutObject(ctx, s3.Bucket, strings.TrimPrefix(out.Filepath, "/"), local,
			minio.PutObjectOptions{ContentType: "video/mp4"})
		if last == nil {
			scheme := "https"
			if !secure {
				scheme = "http"
			}
			return fmt.Sprintf("%s://%s/%s/%s", scheme, endpoint, s3.Bucket, strings.TrimPrefix(out.Filepath, "/")), nil
		}
		logger.Warnw("upload attempt failed", last, "attempt", attempt+1)
	}
	return "", last
}

// sweepOrphans marks as FAILED every egress that livekit-server still lists as active but that
// no worker claims (its worker was killed). livekit-server v1.13.5 never does this itself.
func (w *worker) sweepOrphans(ic rpc.EgressInternalClient) {
	if *sweepEvery <= 0 {
		return
	}
	suspects := map[string]int{}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		list, err := w.io.ListEgress(ctx, &livekit.ListEgressRequest{Active: true})
		if err == nil && len(list.Items) > 0 {
			claimed := map[string]bool{}
			lctx, lcancel := context.WithTimeout(context.Background(), 2*time.Second) // collects answers until then
			ch, err := ic.ListActiveEgress(lctx, "", &rpc.ListActiveEgressRequest{}, psrpc.WithRequestTimeout(2*time.Second))
			if err == nil {
				for r := range ch {
					if r.Err == nil {
						for _, id := range r.Result.EgressIds {
							claimed[id] = true
						}
					}
				}
			}
			lcancel()
			if err == nil {
				for _, info := range list.Items {
					if claimed[info.EgressId] || time.Since(time.Unix(0, info.UpdatedAt)) < *sweepEvery {
						delete(suspects, info.EgressId)
						continue
					}
					suspects[info.EgressId]++
					if suspects[info.EgressId] >= 2 { // unclaimed on two sweeps in a row
						info.Status = livekit.EgressStatus_EGRESS_FAILED
						info.Error = "egress worker lost (no worker claims this egress)"
						info.EndedAt = time.Now().UnixNano()
						info.UpdatedAt = info.EndedAt
						uctx, ucancel := context.WithTimeout(context.Background(), 5*time.Second)
						_, err := w.io.UpdateEgress(uctx, info)
						ucancel()
						if err == nil {
							logger.Warnw("marked orphaned egress as failed", nil, "egressID", info.EgressId)
						}
						delete(suspects, info.EgressId)
					}
				}
			}
		}
		cancel()
		time.Sleep(*sweepEvery)
	}
}
