// The live page's player: polls the HLS-style playlist under live/ and shows its newest segment.
// Plain fetch and <img>, no video codec: each segment is a small SVG frame.
(function () {
  const frame = document.getElementById('live-frame');
  const label = document.getElementById('segment');
  const state = document.getElementById('live-state');
  let shown = -1;
  async function poll() {
    try {
      const r = await fetch('live/live.m3u8', { cache: 'no-store' });
      if (!r.ok) throw new Error('playlist: HTTP ' + r.status);
      const text = await r.text();
      if (!text.startsWith('#EXTM3U')) throw new Error('not a playlist');
      const segments = text.split('\n').map(l => l.trim()).filter(l => l && !l.startsWith('#'));
      const last = segments[segments.length - 1];
      const m = last && /^seg-(\d+)\.svg$/.exec(last);
      if (m && Number(m[1]) > shown) {
        shown = Number(m[1]);
        frame.src = 'live/' + last;
        label.textContent = String(shown);
      }
      state.textContent = 'live';
    } catch (e) {
      state.textContent = 'waiting (' + e.message + ')';
    }
    setTimeout(poll, 500);
  }
  poll();
})();
