"use strict";
// The drawing pad: black ink on white paper (the server prepares it as the run's training
// images were: white-on-black for MNIST, the whole image resized for Fashion-MNIST...).
// Each finished stroke asks the chosen run's model, debounced so a quick second stroke
// sends one request, and answers that arrive after a newer request are ignored. The answer's
// attribution map (what the model looked at) is laid over the image it saw: red pixels raised
// the answer's probability, blue ones lowered it.
(() => {
  const DEBOUNCE_MS = 250;
  const INK_WIDTH = 18; // on a 280-pixel pad: about 2 pixels after scaling into MNIST's 20x20 box
  const BAR_PX = 120; // the height of a 100% bar
  const pad = document.getElementById("canvas");
  const ink = pad.getContext("2d");
  const seenCanvas = document.getElementById("seen");
  const seen = seenCanvas.getContext("2d");
  const seenCaption = document.getElementById("seen-caption");
  const overlay = document.getElementById("overlay");
  const why = document.getElementById("why");
  const RED = [192, 57, 43]; // raised the answer's probability
  const BLUE = [47, 111, 223]; // lowered it
  let lastAnswer = null;
  const heading = document.getElementById("heading");
  const classes = document.getElementById("classes");
  const runs = document.getElementById("run");
  const label = document.getElementById("label");
  const message = document.getElementById("message");
  const bars = document.getElementById("bars");
  let drawing = false;
  let timer = null;
  let sequence = 0;

  function blankPad() {
    ink.fillStyle = "#fff";
    ink.fillRect(0, 0, pad.width, pad.height);
    ink.strokeStyle = "#000";
    ink.lineWidth = INK_WIDTH;
    ink.lineCap = "round";
    ink.lineJoin = "round";
  }

  function where(event) {
    const box = pad.getBoundingClientRect();
    return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
  }

  pad.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    try {
      pad.setPointerCapture(event.pointerId); // the stroke goes on when the pointer leaves the pad
    } catch {
      // a pointer the browser does not track (a scripted event): draw without capture
    }
    drawing = true;
    clearTimeout(timer);
    const [x, y] = where(event);
    ink.beginPath();
    ink.moveTo(x, y);
    ink.lineTo(x + 0.01, y); // a tap leaves a dot
    ink.stroke();
  });
  pad.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const move of moves.length ? moves : [event]) {
      const [x, y] = where(move);
      ink.lineTo(x, y);
    }
    ink.stroke();
  });
  const endStroke = () => {
    if (!drawing) return;
    drawing = false;
    schedule();
  };
  pad.addEventListener("pointerup", endStroke);
  pad.addEventListener("pointercancel", endStroke);

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(() => pad.toBlob((blob) => ask(blob, "drawing.png"), "image/png"), DEBOUNCE_MS);
  }

  async function ask(blob, name) {
    if (!runs.value) return say("No run with a saved model yet: train one first.", true);
    const mine = ++sequence;
    const form = new FormData();
    form.append("file", blob, name);
    say("Reading…", false);
    try {
      const response = await fetch(`/api/predict?run=${encodeURIComponent(runs.value)}`, {method: "POST", body: form});
      const answer = await response.json();
      if (mine !== sequence) return;
      if (!response.ok) return forget(typeof answer.detail === "string" ? answer.detail : response.statusText);
      show(answer);
    } catch (error) {
      if (mine === sequence) forget(`The server did not answer (${error}).`);
    }
  }

  function show(answer) {
    label.textContent = answer.name; // "7", or Fashion-MNIST's "Sneaker"
    label.dataset.label = String(answer.label);
    const percent = (100 * answer.probabilities[answer.label]).toFixed(1);
    say(`${percent}% sure, in ${answer.elapsed_ms.toFixed(0)} ms.`, false);
    lastAnswer = answer;
    drawSeen(answer.image, overlay.checked ? answer.attribution : null);
    explainWhy(answer);
    drawBars(answer.probabilities, answer.label, answer.class_names);
  }

  function drawSeen(image, attribution) {
    seenCanvas.height = image.length;
    seenCanvas.width = image[0].length;
    seenCaption.textContent = `what the model sees: ${image.length}x${image[0].length}`;
    const pixels = seen.createImageData(seenCanvas.width, seenCanvas.height);
    const map = attribution ? attribution.map.flat() : null;
    image.flat().forEach((value, k) => {
      const level = Math.round(255 * value);
      // -1..1, its share of the largest; the square root lets the smaller attributions show too
      const weight = map ? 0.85 * Math.sqrt(Math.min(1, Math.abs(map[k]))) : 0;
      const colour = map && map[k] < 0 ? BLUE : RED;
      pixels.data.set([0, 1, 2].map((c) => Math.round((1 - weight) * level + weight * colour[c])).concat(255), 4 * k);
    });
    seen.putImageData(pixels, 0, 0);
  }

  function explainWhy(answer) {
    const attribution = answer.attribution;
    if (!attribution) {
      why.textContent = "";
      return;
    }
    const passed = attribution.passed.length ? attribution.passed.join(" and ") : "none";
    why.replaceChildren(
      document.createTextNode("Over the image: "),
      Object.assign(document.createElement("span"), {className: "red", textContent: "red"}),
      document.createTextNode(` raised "${answer.name}", `),
      Object.assign(document.createElement("span"), {className: "blue", textContent: "blue"}),
      document.createTextNode(` lowered it. Checks passed: ${passed}.`));
    why.dataset.passed = attribution.passed.join(",");
  }

  function drawBars(probabilities, best, names) {
    bars.replaceChildren(...probabilities.map((p, digit) => {
      const called = names[digit];
      const bar = document.createElement("div");
      bar.className = digit === best ? "bar best" : "bar";
      bar.dataset.digit = String(digit);
      bar.title = `${called}: ${(100 * p).toFixed(2)}%`;
      const fill = document.createElement("div");
      fill.className = "fill";
      fill.style.height = `${Math.max(BAR_PX * p, 1)}px`;
      const value = document.createElement("span");
      value.className = "value";
      value.textContent = `${Math.round(100 * p)}%`;
      const name = document.createElement("span");
      name.className = "digit";
      name.textContent = called;
      bar.append(value, fill, name);
      return bar;
    }));
  }

  function forget(reason) {
    label.textContent = "–";
    delete label.dataset.label;
    bars.replaceChildren();
    seen.clearRect(0, 0, seenCanvas.width, seenCanvas.height);
    lastAnswer = null;
    why.textContent = "";
    delete why.dataset.passed;
    say(reason, true);
  }

  function say(text, problem) {
    message.textContent = text;
    message.className = problem ? "problem" : "hint";
  }

  document.getElementById("clear").addEventListener("click", () => {
    sequence++; // an answer still on its way is for the old drawing
    clearTimeout(timer);
    blankPad();
    forget(invitation());
    message.className = "hint";
  });
  overlay.addEventListener("change", () => {
    if (lastAnswer) drawSeen(lastAnswer.image, overlay.checked ? lastAnswer.attribution : null);
  });
  document.getElementById("upload").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (file) ask(file, file.name);
    event.target.value = ""; // choosing the same file again still counts as a change
  });
  function chosenClasses() {
    const option = runs.selectedOptions[0];
    return option ? JSON.parse(option.dataset.classes) : [];
  }

  function digitRun() { // its classes are digits (all ten, or some): the page asks for "a digit"
    return chosenClasses().every((name) => /^[0-9]$/.test(name));
  }

  function invitation() {
    return `Draw one ${digitRun() ? "digit" : "thing"}, large, with the mouse or a finger.`;
  }

  function speakClasses() { // the page asks for what the chosen run knows, not always a digit
    const digits = digitRun();
    heading.textContent = digits ? "Draw a digit" : "Draw one of its classes";
    classes.textContent = digits ? "" : `This model knows: ${chosenClasses().join(", ")}`;
    if (label.dataset.label === undefined) say(invitation(), false);
  }

  runs.addEventListener("change", () => {
    speakClasses();
    // Opening a run's draw page loads its model on the server: the first answer is then quick.
    fetch(`/draw?run=${encodeURIComponent(runs.value)}`).catch(() => {});
    if (label.dataset.label !== undefined) schedule(); // same drawing, another model
  });
  blankPad();
})();
