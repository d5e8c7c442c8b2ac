// The service worker (frontend/service_worker.py renders it): keeps the app shell, answers a page with the
// offline page when the network is gone. Everything else goes to the network as if the worker were not there.
const CACHE = "shell-{{ version }}";
const OFFLINE = {{ offline_json|safe }};
const SHELL = {{ shell_json|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll([OFFLINE, ...SHELL])).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key !== CACHE) await caches.delete(key);
    }
    // The page's request starts while the worker wakes up, not after.
    if (self.registration.navigationPreload) await self.registration.navigationPreload.enable();
    await self.clients.claim();
  })());
});

async function page(event) {
  try {
    return (await event.preloadResponse) || (await fetch(event.request));
  } catch (error) {
    return (await caches.match(OFFLINE)) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (SHELL.includes(new URL(request.url).pathname)) {
    // Hashed names: what is in the cache is what the page asks for.
    event.respondWith(caches.match(request).then((kept) => kept || fetch(request)));
  }
});
