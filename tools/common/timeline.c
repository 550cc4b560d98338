/* SPDX-License-Identifier: MIT */
/* SVG timeline strip: METRICS intervals as CPU bars and a heap (or RSS) line, alerts as marks,
 * with a drag-to-select window that prints the matching profreport --from/--to command. */
#include "timeline_strip.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* Text with the five XML special characters escaped. */
static void ts_xml(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out); break;
        }
    }
}

int timeline_svg_strip(FILE *out, const struct prof_profile *p, uint32_t process,
                       const struct timeline_strip_options *o)
{
    double w = o->width > 0 ? o->width : 1200, h = o->height > 0 ? o->height : TIMELINE_STRIP_HEIGHT;
    double chart_h = h - 18; /* caption line below the chart */
    uint64_t end = 0, max_level = 0;
    size_t n = 0;
    int heap = 0;
    for (size_t i = 0; i < p->nintervals; i++) {
        const struct prof_interval *iv = &p->intervals[i];
        if (iv->process != process)
            continue;
        n++;
        heap |= iv->has_heap;
        if (iv->end_ns > end)
            end = iv->end_ns;
    }
    if (n == 0)
        return 0;
    if (process < p->nprocesses && p->processes[process].duration_ns > end)
        end = p->processes[process].duration_ns;
    for (size_t i = 0; i < p->nintervals; i++) {
        const struct prof_interval *iv = &p->intervals[i];
        uint64_t v = heap ? iv->live_heap : iv->rss;
        if (iv->process == process && v > max_level)
            max_level = v;
    }
    double span = end ? (double)end : 1;
    double sx = w / span; /* pixels per ns */

    fprintf(out, "<g id=\"timeline-strip\" transform=\"translate(%.1f,%.1f)\" data-end-ns=\"%" PRIu64
                 "\" data-width=\"%.1f\">\n",
            o->x, o->y, end, w);
    fputs("<style>#timeline-strip .tl-cpu{fill:#e8823a}#timeline-strip .tl-alert{stroke:#c00;"
          "stroke-width:2}#timeline-strip .tl-line{fill:none;stroke:#2a62a8;stroke-width:1.5}"
          "#timeline-strip .tl-sel{fill:#2a62a8;fill-opacity:0.18}#timeline-strip text{"
          "font:11px sans-serif;fill:#333}</style>\n",
          out);
    fprintf(out, "<rect class=\"tl-bg\" width=\"%.1f\" height=\"%.1f\" fill=\"#f6f6f6\"/>\n", w,
            chart_h);
    /* CPU bars: height = share of one CPU (capped at the strip; more CPUs show as full). */
    for (size_t i = 0; i < p->nintervals; i++) {
        const struct prof_interval *iv = &p->intervals[i];
        if (iv->process != process || !iv->interval_ns)
            continue;
        double cpu = (double)(iv->user_ns + iv->sys_ns) / (double)iv->interval_ns;
        double bh = (cpu > 1 ? 1 : cpu) * chart_h;
        uint64_t start = iv->end_ns > iv->interval_ns ? iv->end_ns - iv->interval_ns : 0;
        fprintf(out,
                "<rect class=\"tl-cpu\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\">"
                "<title>%.3f-%.3f s: cpu %.1f%%, rss %.1f MiB",
                (double)start * sx, chart_h - bh, (double)iv->interval_ns * sx, bh,
                (double)start / 1e9, (double)iv->end_ns / 1e9, 100 * cpu,
                (double)iv->rss / 1048576.0);
        if (iv->has_heap)
            fprintf(out, ", heap %.2f MiB", (double)iv->live_heap / 1048576.0);
        fputs("</title></rect>\n", out);
    }
    /* Heap (alloc mode) or RSS: one line scaled to its own maximum. */
    if (max_level) {
        fputs("<polyline class=\"tl-line\" points=\"", out);
        for (size_t i = 0; i < p->nintervals; i++) {
            const struct prof_interval *iv = &p->intervals[i];
            if (iv->process != process)
                continue;
            double v = (double)(heap ? iv->live_heap : iv->rss) / (double)max_level;
            fprintf(out, "%.2f,%.2f ", (double)iv->end_ns * sx, chart_h - v * (chart_h - 2));
        }
        fputs("\"/>\n", out);
    }
    for (size_t i = 0; i < p->nalerts; i++) {
        const struct prof_alert *al = &p->alerts[i];
        if (al->process != process)
            continue;
        double ax = (double)al->time_ns * sx;
        fprintf(out, "<line class=\"tl-alert\" x1=\"%.2f\" x2=\"%.2f\" y1=\"0\" y2=\"%.2f\"><title>",
                ax, ax, chart_h);
        ts_xml(out, al->message[0] ? al->message : al->rule);
        fputs("</title></line>\n", out);
    }
    int windowed = o->to_ns > o->from_ns;
    double sel_x = windowed ? (double)o->from_ns * sx : 0;
    double sel_w = windowed ? ((o->to_ns > end ? span : (double)o->to_ns) - (double)o->from_ns) * sx : 0;
    fprintf(out, "<rect class=\"tl-sel\" x=\"%.2f\" y=\"0\" width=\"%.2f\" height=\"%.2f\"/>\n",
            sel_x, sel_w < 0 ? 0 : sel_w, chart_h);
    fprintf(out, "<text x=\"0\" y=\"%.1f\">cpu (bars, 1 CPU = full height), %s (line, max %.1f MiB), "
                 "alerts (red); %.1f s. <tspan class=\"tl-hint\">Drag to select a window.</tspan>"
                 "</text>\n",
            h - 4, heap ? "live heap" : "rss", (double)max_level / 1048576.0, span / 1e9);
    /* The script maps a drag to seconds and writes the command for that window. */
    fputs("<script><![CDATA[\n(function(){\n"
          "var g=document.getElementById('timeline-strip');if(!g)return;\n"
          "var sel=g.querySelector('.tl-sel'),hint=g.querySelector('.tl-hint');\n"
          "var W=+g.getAttribute('data-width'),E=+g.getAttribute('data-end-ns');var x0=null;\n"
          "function at(ev){var pt=g.ownerSVGElement.createSVGPoint();pt.x=ev.clientX;pt.y=ev.clientY;"
          "var q=pt.matrixTransform(g.getScreenCTM().inverse());return Math.max(0,Math.min(W,q.x));}\n"
          "g.addEventListener('mousedown',function(ev){x0=at(ev);ev.preventDefault();});\n"
          "g.addEventListener('mousemove',function(ev){if(x0===null)return;var x=at(ev);"
          "sel.setAttribute('x',Math.min(x0,x));sel.setAttribute('width',Math.abs(x-x0));});\n"
          "window.addEventListener('mouseup',function(ev){if(x0===null)return;var x=at(ev);"
          "var a=Math.min(x0,x)/W*E/1e9,b=Math.max(x0,x)/W*E/1e9;x0=null;if(b-a<=0)return;\n"
          "hint.textContent='Window '+a.toFixed(2)+'-'+b.toFixed(2)+' s: profreport --format svg --from '+"
          "a.toFixed(2)+' --to '+b.toFixed(2)+' '+",
          out);
    fputs("'", out);
    for (const char *s = o->file ? o->file : "FILE"; *s; s++) { /* inside a JS string in CDATA */
        if (*s == '\'' || *s == '\\')
            fputc('\\', out);
        if (*s == ']' || *s == '\n' || *s == '<') /* never end the CDATA section or the line */
            fprintf(out, "\\x%02x", (unsigned char)*s);
        else
            fputc(*s, out);
    }
    fputs("';});\n})();\n]]></script>\n</g>\n", out);
    return ferror(out) ? -EIO : 0;
}
