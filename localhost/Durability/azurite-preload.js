// Loaded into Azurite's node process by `konduktor up` (node --require), before Azurite's own code.
//
// 1. The terminal is up's to handle. A closed terminal window (SIGHUP) or Ctrl+C (SIGINT) reaches every process of the
//    foreground group, Azurite included; Azurite would die on SIGHUP without saving, and shut down on SIGINT while up's
//    host still writes. Here it ignores both: up stops it last, with SIGTERM, and Azurite saves as it closes.
// 2. Saving on demand. Azurite keeps its metadata in LokiJS databases it saves every 5 s. On SIGUSR2 it saves every
//    one of them now and writes the token of the request it answered to `checkpoint.done`: up's storage journal then
//    knows that everything Azurite acknowledged before the request is in the files, fsyncs them, and drops the journal
//    segments they hold (localhost/Durability/Checkpoints.cs).
"use strict";
const fs = require("fs");
const path = require("path");

process.on("SIGHUP", () => {});
const once = process.once;
process.once = function (event, listener) {
  return event === "SIGINT" ? this : once.call(this, event, listener);
};
process.on("SIGINT", () => {});

const data = process.env.KONDUKTOR_AZURITE_DATA;
const azurite = process.env.KONDUKTOR_AZURITE_SCRIPT;
if (data && azurite) {
  // The copy Azurite loads: resolved from its script's folder (azurite-bundle.js leaves LokiJS out of the bundle).
  const Loki = require(require.resolve("lokijs", { paths: [path.dirname(azurite)] }));
  const databases = new Set();
  const configure = Loki.prototype.configureOptions;
  Loki.prototype.configureOptions = function (options, initialConfig) {
    databases.add(this);
    return configure.call(this, options, initialConfig);
  };

  const save = (db) => new Promise((resolve, reject) => db.saveDatabase((error) => (error ? reject(error) : resolve(db.filename))));
  process.on("SIGUSR2", () => {
    let token;
    try {
      token = fs.readFileSync(path.join(data, "checkpoint.request"), "utf8").trim();
    } catch {
      return;
    }

    // Written whole, then renamed: up never reads half an answer.
    const answer = (text) => {
      fs.writeFileSync(path.join(data, "checkpoint.done~"), text);
      fs.renameSync(path.join(data, "checkpoint.done~"), path.join(data, "checkpoint.done"));
    };
    const saved = [...databases].filter((db) => db.persistenceMethod === "fs");
    Promise.all(saved.map(save))
      .then((files) => answer([token, ...files].join("\n")))
      .catch((error) => answer(`${token}\nfailed: ${error.message}`));
  });
}
