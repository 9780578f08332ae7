import { byId } from "../dom.ts";

/**
 * Proof that the page stays responsive: a ball moved by requestAnimationFrame on the main
 * thread (a CSS animation would keep running on the compositor even with the main thread
 * blocked, so it would prove nothing) and the frame rate and longest frame gap it measures.
 */
export function mountResponsiveness(): void {
  const ball = byId("ball");
  const readout = byId("frame-readout");
  let last = performance.now();
  let frames = 0;
  let worst = 0;
  let windowStart = last;
  const tick = (now: number) => {
    worst = Math.max(worst, now - last);
    last = now;
    frames++;
    ball.style.transform = `translateX(${((Math.sin(now / 400) + 1) / 2) * 100}%)`;
    if (now - windowStart >= 1000) {
      readout.textContent = `${Math.round((frames * 1000) / (now - windowStart))} fps, longest frame ${Math.round(worst)} ms`;
      readout.dataset.longestFrameMs = String(Math.round(worst));
      frames = 0;
      worst = 0;
      windowStart = now;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
