// A plotly chart that stays on the page: the first figure is drawn, every later one updates it in
// place (Plotly.react), never unmounts it. pages/parts/common/mounted_chart.py says why.
//
// A chart off screen (more than MARGIN_PX away from the viewport, or in a hidden tab) keeps its
// newest figure and draws it when it comes near the viewport: a slider step redraws what the
// learner sees, not the whole page. While a figure waits or is being drawn, the chart's element
// has data-pending="true"; data-drawn counts the figures drawn.
//
// plotly.js itself is one classic script, loaded once per page from the app's static folder
// (window.Plotly); __PLOTLY_SRC__ is replaced with its path by mounted_chart.py.
const PLOTLY_SRC = "__PLOTLY_SRC__";
const MARGIN_PX = 400;

function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__alexnetPlotly) {
    window.__alexnetPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL(PLOTLY_SRC, document.baseURI).href;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        window.__alexnetPlotly = undefined; // a later figure tries again
        reject(new Error(`could not load plotly.js from ${script.src}`));
      };
      document.head.appendChild(script);
    });
  }
  return window.__alexnetPlotly;
}

function decodeText(data) {
  // the figure comes as JSON bytes (serialised once per figure on the server)
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  return typeof data === "string" ? data : JSON.stringify(data);
}

function showError(parentElement, error) {
  let note = parentElement.querySelector(":scope > .mounted-chart-error");
  if (!note) {
    note = document.createElement("p");
    note.className = "mounted-chart-error";
    parentElement.appendChild(note);
  }
  note.textContent = `This chart could not be drawn: ${error.message}. Reload the page; if it stays, restart the app (make app).`;
}

// Draw the chart's waiting figure, after any draw in progress (one at a time, newest last).
function drawPending(chart, parentElement) {
  chart.__drawing = (chart.__drawing || Promise.resolve()).then(() => {
    const next = chart.__pending;
    if (!next) return;
    chart.__pending = null;
    return loadPlotly()
      .then((Plotly) => {
        const { figure, config } = JSON.parse(next);
        return Plotly.react(chart, {
          data: figure.data,
          layout: figure.layout,
          frames: figure.frames || [],
          config: { responsive: true, ...config },
        });
      })
      .then(() => {
        chart.dataset.drawn = String(Number(chart.dataset.drawn || 0) + 1);
        const error = parentElement.querySelector(":scope > .mounted-chart-error");
        if (error) error.remove();
      })
      .catch((error) => showError(parentElement, error))
      .finally(() => {
        if (!chart.__pending) chart.dataset.pending = "false";
      });
  });
}

export default function ({ data, parentElement }) {
  const text = decodeText(data);
  let chart = parentElement.querySelector(":scope > .mounted-chart");
  if (!chart) {
    chart = document.createElement("div");
    chart.className = "mounted-chart";
    parentElement.appendChild(chart);
    // keep the space while plotly.js loads, so the page below does not jump
    const { figure } = JSON.parse(text);
    chart.style.minHeight = `${(figure.layout && figure.layout.height) || 450}px`;
    chart.__observer = new IntersectionObserver(
      (entries) => {
        chart.__near = entries[entries.length - 1].isIntersecting;
        if (chart.__near && chart.__pending) drawPending(chart, parentElement);
      },
      { rootMargin: `${MARGIN_PX}px 0px` },
    );
    chart.__observer.observe(chart);
  }
  if (text === chart.__latest) return; // the figure it shows or will show: nothing to do
  chart.__latest = text;
  chart.__pending = text;
  chart.dataset.pending = "true";
  // the first figure always; later ones once the chart is near the viewport
  if (chart.dataset.drawn === undefined || chart.__near) drawPending(chart, parentElement);
  return () => {
    // Streamlit calls this when the element goes away (and may call it early for a superseded
    // call): stop watching only a chart that has left the page
    setTimeout(() => {
      if (!chart.isConnected) chart.__observer.disconnect();
    }, 0);
  };
}
