// Runs before the page paints: marks that JavaScript is on, so the phone menu starts collapsed
// instead of flashing open. Without JavaScript the menu's links simply wrap.
document.documentElement.classList.add("js");
