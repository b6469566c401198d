// Scanning a login page's QR code with the camera, where the browser has BarcodeDetector
// (Chrome on Android, for one). A code of this site (/qr/<token>) opens its approve page;
// anything else is ignored. Elsewhere the phone's own camera app opens the link just as well.

import { t } from "./i18n.js";

const root = document.getElementById("qr-scan");
const video = document.getElementById("qr-scan-video");
const statusLine = document.getElementById("qr-scan-status");
const startButton = document.getElementById("qr-scan-start");
const UNSUPPORTED = t("This browser cannot scan codes: open the code's link with your phone's camera app.");

function show(state, text) {
  root.dataset.state = state;
  statusLine.textContent = text;
}

function approvePath(text) {
  try {
    const url = new URL(text, window.location.href);
    if (url.origin === window.location.origin && /^\/qr\/[A-Za-z0-9_-]+$/.test(url.pathname)) return url.pathname;
  } catch {
    // not a URL: not ours
  }
  return null;
}

async function scan(detector) {
  while (!video.paused) {
    const codes = await detector.detect(video).catch(() => []);
    for (const code of codes) {
      const path = approvePath(code.rawValue);
      if (path) {
        video.srcObject.getTracks().forEach((track) => track.stop());
        show("found", t("Found the code. Opening…"));
        window.location.assign(path);
        return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function start() {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) {
    show("unsupported", UNSUPPORTED);
    return;
  }
  try {
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.hidden = false;
    startButton.hidden = true;
    await video.play();
    show("scanning", t("Point the camera at the QR code."));
    scan(detector);
  } catch (error) {
    show("error", t("The camera could not be used ({reason}).", { reason: error.name }));
  }
}

startButton.addEventListener("click", start);
if (!("BarcodeDetector" in window)) {
  show("unsupported", UNSUPPORTED);
}
