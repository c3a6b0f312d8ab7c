// sodium.js: libsodium (npm's libsodium-wrappers-sumo, the same library as the C
// side's) loaded once and ready. The page maps the bare name to the file tallyd serves
// (the import map in index.html); node resolves it from web/node_modules. The sumo
// build is needed for crypto_pwhash (Argon2id), which seals keys.
import sodiumModule from 'libsodium-wrappers-sumo';

let ready = null;

/** The ready libsodium object. */
export function loadSodium() {
  ready ??= sodiumModule.ready.then(() => sodiumModule);
  return ready;
}
