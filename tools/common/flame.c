/* SPDX-License-Identifier: MIT */
/* Flame graph SVG writer: folded stacks -> frame tree -> static frames + node table + script. */
#include "flame.h"

#include "htab.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define FLAME_FRAME_H 17  /* pixels per stack level */
#define FLAME_PAD 10      /* left and right margin */
#define FLAME_TOP 48      /* title, subtitle and the controls line */
#define FLAME_BOTTOM 30   /* details line */
#define FLAME_STATIC_MIN_PX 1.0 /* frames narrower than this are left to the script */

struct flame_node {
    uint32_t name;    /* id in the name table */
    uint32_t parent;
    uint32_t first_child, next_sibling; /* 0 = none (node 0 is the root, never a child) */
    uint32_t depth;
    uint64_t value, base;
};

struct flame {
    struct flame_node *nodes;
    size_t n, cap;
    struct strtab names;
    struct htab children; /* (parent << 32 | name) + 1 -> node index */
    uint32_t max_depth;
    uint32_t *order;      /* preorder, children by name */
    size_t norder;
};

static long flame_node(struct flame *f, uint32_t parent, uint32_t name)
{
    uint64_t key = ((uint64_t)parent << 32 | name) + 1;
    int inserted = 0;
    uint64_t *slot = htab_upsert(&f->children, key, f->n, &inserted);
    if (!slot)
        return -1;
    if (!inserted)
        return (long)*slot;
    if (f->n == f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : 1024;
        struct flame_node *nn = realloc(f->nodes, ncap * sizeof(*nn));
        if (!nn)
            return -1;
        f->nodes = nn;
        f->cap = ncap;
    }
    uint32_t depth = f->n ? f->nodes[parent].depth + 1 : 0;
    f->nodes[f->n] = (struct flame_node){name, parent, 0, 0, depth, 0, 0};
    if (f->n) { /* link as a child; sorted later */
        f->nodes[f->n].next_sibling = f->nodes[parent].first_child;
        f->nodes[parent].first_child = (uint32_t)f->n;
    }
    if (depth > f->max_depth)
        f->max_depth = depth;
    return (long)f->n++;
}

/* Walks one folded stack from the root, adding `w` to value (or base) along the path. */
static int flame_add(struct flame *f, const char *stack, uint64_t w, int is_base)
{
    uint32_t cur = 0;
    if (is_base)
        f->nodes[0].base += w;
    else
        f->nodes[0].value += w;
    const char *s = stack;
    while (*s) {
        const char *e = strchr(s, ';');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        long name = strtab_intern(&f->names, s, len);
        long node = name < 0 ? -1 : flame_node(f, cur, (uint32_t)name);
        if (node < 0)
            return -ENOMEM;
        cur = (uint32_t)node;
        if (is_base)
            f->nodes[cur].base += w;
        else
            f->nodes[cur].value += w;
        if (!e)
            break;
        s = e + 1;
    }
    return 0;
}

static struct flame *flame_sort_ctx; /* qsort has no context argument */

static int flame_child_cmp(const void *pa, const void *pb)
{
    const struct flame_node *a = &flame_sort_ctx->nodes[*(const uint32_t *)pa];
    const struct flame_node *b = &flame_sort_ctx->nodes[*(const uint32_t *)pb];
    return strcmp(strtab_get(&flame_sort_ctx->names, a->name),
                  strtab_get(&flame_sort_ctx->names, b->name));
}

/* Preorder of the nodes with a value (base-only frames are not drawn), children sorted by
 * name as flame graphs usually are; an explicit stack, since depth is unbounded. */
static int flame_order(struct flame *f)
{
    f->order = malloc(f->n * sizeof(uint32_t));
    uint32_t *stack = malloc(f->n * sizeof(uint32_t));
    uint32_t *kids = malloc(f->n * sizeof(uint32_t));
    if (!f->order || !stack || !kids) {
        free(stack);
        free(kids);
        return -ENOMEM;
    }
    size_t sp = 0;
    stack[sp++] = 0;
    flame_sort_ctx = f;
    while (sp) {
        uint32_t i = stack[--sp];
        if (!f->nodes[i].value)
            continue;
        f->order[f->norder++] = i;
        size_t nk = 0;
        for (uint32_t c = f->nodes[i].first_child; c; c = f->nodes[c].next_sibling)
            kids[nk++] = c;
        qsort(kids, nk, sizeof(uint32_t), flame_child_cmp);
        while (nk) /* pushed in reverse: the first name is visited first */
            stack[sp++] = kids[--nk];
    }
    free(stack);
    free(kids);
    return 0;
}

/* ---------- output ---------- */

static void flame_xml(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                fputc(*s, out);
        }
    }
}

/* A JavaScript string literal that is also safe inside CDATA: only "]]>" would end the section,
 * so a '>' after "]]" is escaped; names stay readable (and searchable) in the file. */
static void flame_js_string(FILE *out, const char *s)
{
    const char *start = s;
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == '"' || c == '\\' ||
            (c == '>' && s - start >= 2 && s[-1] == ']' && s[-2] == ']'))
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* Same hash and palette as the script's colour(): warm colours, stable per name. */
static uint32_t flame_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void flame_colour(char *buf, size_t len, const char *name, const struct flame_node *nd,
                         double base_scale, double max_delta, int diff)
{
    if (diff) {
        /* Change against the base, relative to the largest change of any frame. */
        double d = (double)nd->value - (double)nd->base * base_scale;
        double t = max_delta > 0 ? d / max_delta : 0;
        if (t > 1)
            t = 1;
        if (t < -1)
            t = -1;
        int fade = (int)(220 - 190 * (t < 0 ? -t : t));
        if (t >= 0)
            snprintf(buf, len, "rgb(250,%d,%d)", fade, fade);
        else
            snprintf(buf, len, "rgb(%d,%d,250)", fade, fade);
        return;
    }
    uint32_t h = flame_hash(name);
    snprintf(buf, len, "rgb(%u,%u,%u)", 205 + (h % 50), 80 + ((h >> 8) % 130), (h >> 16) % 55);
}

static const char flame_css[] =
    "text{font-family:Verdana,sans-serif;font-size:12px;fill:#000}\n"
    "#title{font-size:17px}#subtitle{font-size:12px;fill:#555}\n"
    ".f text{pointer-events:none}.f rect{rx:2px;ry:2px;stroke:#fff;stroke-width:0.5px}\n"
    ".f:hover rect{stroke:#000;stroke-width:1px}.f{cursor:pointer}\n"
    ".ctl{cursor:pointer;fill:#06c}.hid{display:none}.anc rect{opacity:0.55}\n";

/* The interactive part. D holds 3 numbers per node (4 in a differential graph) in preorder:
 * name index, depth, value[, base]; positions are recomputed from it. */
static const char flame_js[] =
    "(function(){\n"
    "var svg=document.documentElement,NS='http://www.w3.org/2000/svg';\n"
    "var W=+svg.getAttribute('width'),H=+svg.getAttribute('height');\n"
    "var FH=17,PAD=10,BOTTOM=30,S=DIFF?4:3,nodes=[],next=[],last=[];\n"
    "for(var i=0;i<D.length;i+=S){var d=D[i+1],x=d?next[d]:0;\n"
    " var nd={n:NAMES[D[i]],d:d,v:D[i+2],b:DIFF?D[i+3]:0,x:x,p:d?last[d-1]:null};\n"
    " next[d]=x+nd.v;next[d+1]=x;last[d]=nd;nodes.push(nd);}\n"
    "var root=nodes[0],total=root.v,zoom=root,re=null;\n"
    "var frames=document.getElementById('frames'),det=document.getElementById('details');\n"
    "var mt=document.getElementById('matched'),rz=document.getElementById('reset');\n"
    "function hash(s){var h=2166136261;for(var i=0;i<s.length;i++){\n"
    " h=Math.imul(h^(s.charCodeAt(i)&255),16777619)>>>0;}return h;}\n"
    "function colour(nd){if(re&&re.test(nd.n))return 'rgb(230,0,230)';\n"
    " if(DIFF){var t=MAXD?(nd.v-nd.b*BSCALE)/MAXD:0;t=Math.max(-1,Math.min(1,t));\n"
    "  var f=Math.floor(220-190*Math.abs(t));\n"
    "  return t>=0?'rgb(250,'+f+','+f+')':'rgb('+f+','+f+',250)';}\n"
    " var h=hash(nd.n);return 'rgb('+(205+h%50)+','+(80+(h>>>8)%130)+','+((h>>>16)%55)+')';}\n"
    "function pct(v){return total?(100*v/total).toFixed(2):'0.00';}\n"
    "function label(nd){var s=nd.n+' ('+nd.v.toLocaleString()+' '+UNIT+', '+pct(nd.v)+'%';\n"
    " if(DIFF){var b=Math.round(nd.b*BSCALE);s+='; base '+b.toLocaleString()+', change '+\n"
    "  (nd.v>=b?'+':'')+(nd.v-b).toLocaleString()+(b?' ('+(nd.v>=b?'+':'')+(100*(nd.v-b)/b).toFixed(1)+'%)':'');}\n"
    " return s+')';}\n"
    "function el(n,a){var e=document.createElementNS(NS,n);for(var k in a)e.setAttribute(k,a[k]);return e;}\n"
    "function render(){while(frames.firstChild)frames.removeChild(frames.firstChild);\n"
    " var scale=(W-2*PAD)/zoom.v,x0=zoom.x,x1=zoom.x+zoom.v;\n"
    " for(var i=0;i<nodes.length;i++){var nd=nodes[i],anc=nd.d<zoom.d;\n"
    "  if(nd.x+nd.v<=x0||nd.x>=x1)continue;\n"
    "  var l=Math.max(nd.x,x0),r=Math.min(nd.x+nd.v,x1),w=(r-l)*scale;if(w<0.1)continue;\n"
    "  var g=el('g',{'class':anc?'f anc':'f'});g.nd=nd;\n"
    "  var t=el('title',{});t.textContent=label(nd);g.appendChild(t);\n"
    "  var y=H-BOTTOM-(nd.d+1)*FH;\n"
    "  g.appendChild(el('rect',{x:PAD+(l-x0)*scale,y:y,width:w,height:FH-1,fill:colour(nd)}));\n"
    "  var c=Math.floor((w-6)/7);if(c>=3){var tx=el('text',{x:PAD+(l-x0)*scale+3,y:y+12});\n"
    "   tx.textContent=nd.n.length<=c?nd.n:nd.n.substr(0,c-2)+'..';g.appendChild(tx);}\n"
    "  frames.appendChild(g);}\n"
    " rz.setAttribute('class',zoom===root?'ctl hid':'ctl');}\n"
    "function find(e){for(var t=e.target;t&&t!==frames;t=t.parentNode)if(t.nd)return t.nd;return null;}\n"
    "frames.addEventListener('mouseover',function(e){var nd=find(e);if(nd)det.textContent=label(nd);});\n"
    "frames.addEventListener('mouseout',function(){det.textContent=' ';});\n"
    "frames.addEventListener('click',function(e){var nd=find(e);if(nd){zoom=nd;render();}});\n"
    "rz.addEventListener('click',function(){zoom=root;render();});\n"
    "function search(term){if(!term){re=null;mt.textContent=' ';render();return;}\n"
    " try{re=new RegExp(term);}catch(x){re=new RegExp(term.replace(/[.*+?^${}()|[\\]\\\\]/g,'\\\\$&'));}\n"
    " var iv=[];for(var i=0;i<nodes.length;i++)if(re.test(nodes[i].n))iv.push([nodes[i].x,nodes[i].x+nodes[i].v]);\n"
    " iv.sort(function(a,b){return a[0]-b[0];});var sum=0,e=-1;\n"
    " for(var k=0;k<iv.length;k++){if(iv[k][0]>=e){sum+=iv[k][1]-iv[k][0];e=iv[k][1];}\n"
    "  else if(iv[k][1]>e){sum+=iv[k][1]-e;e=iv[k][1];}}\n"
    " mt.textContent='Matched: '+pct(sum)+'%';render();}\n"
    "document.getElementById('search').addEventListener('click',function(){\n"
    " search(prompt('Search (regular expression):',re?re.source:''));});\n"
    "document.getElementById('clear').addEventListener('click',function(){search('');});\n"
    "window.addEventListener('keydown',function(e){if((e.ctrlKey||e.metaKey)&&e.key==='f'){\n"
    " e.preventDefault();search(prompt('Search (regular expression):',re?re.source:''));}\n"
    " else if(e.key==='Escape'){zoom=root;search('');}});\n"
    "window.flameSearch=search;\n"
    /* Links can open a view: #zoom=NAME (first frame of that name), #search=REGEX. */
    "var h=decodeURIComponent((location.hash||'').substr(1)).split('&');\n"
    "for(var k=0;k<h.length;k++){var kv=h[k].split('=');\n"
    " if(kv[0]==='zoom')for(var j=0;j<nodes.length;j++)if(nodes[j].n===kv[1]){zoom=nodes[j];break;}\n"
    " if(kv[0]==='search'&&kv[1])search(kv.slice(1).join('='));}\n"
    "render();frames.setAttribute('data-rendered',nodes.length);})();\n";

static void flame_static(FILE *out, const struct flame *f, int width, int height, double base_scale,
                         double max_delta, int diff)
{
    /* Same layout as the script's render() at full zoom. */
    uint64_t total = f->nodes[0].value;
    if (!total)
        return;
    double scale = (double)(width - 2 * FLAME_PAD) / (double)total;
    uint64_t *next = calloc(f->max_depth + 2, sizeof(uint64_t));
    if (!next)
        return; /* the script draws everything anyway */
    for (size_t k = 0; k < f->norder; k++) {
        const struct flame_node *nd = &f->nodes[f->order[k]];
        uint64_t x = nd->depth ? next[nd->depth] : 0;
        next[nd->depth] = x + nd->value;
        next[nd->depth + 1] = x;
        double w = (double)nd->value * scale;
        if (w < FLAME_STATIC_MIN_PX)
            continue;
        const char *name = strtab_get(&f->names, nd->name);
        char fill[64];
        flame_colour(fill, sizeof(fill), name, nd, base_scale, max_delta, diff);
        double px = FLAME_PAD + (double)x * scale;
        int y = height - FLAME_BOTTOM - (int)(nd->depth + 1) * FLAME_FRAME_H;
        fputs("<g class=\"f\"><title>", out);
        flame_xml(out, name);
        fprintf(out, " (%" PRIu64 ", %.2f%%)</title>", nd->value,
                100.0 * (double)nd->value / (double)total);
        fprintf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>", px, y,
                w, FLAME_FRAME_H - 1, fill);
        int chars = (int)((w - 6) / 7);
        if (chars >= 3) {
            fprintf(out, "<text x=\"%.1f\" y=\"%d\">", px + 3, y + 12);
            if ((int)strlen(name) <= chars) {
                flame_xml(out, name);
            } else {
                char cut[512];
                snprintf(cut, sizeof(cut), "%.*s..", chars - 2 < 500 ? chars - 2 : 500, name);
                flame_xml(out, cut);
            }
            fputs("</text>", out);
        }
        fputs("</g>\n", out);
    }
    free(next);
}

static void flame_emit(FILE *out, const struct flame *f, const struct flame_options *o, int diff)
{
    int width = o->width > 0 ? o->width : 1200;
    int header_h = o->header ? o->header_height : 0;
    int height = FLAME_TOP + header_h + (int)(f->max_depth + 1) * FLAME_FRAME_H + FLAME_BOTTOM;
    double base_scale = o->base_scale > 0 ? o->base_scale
                        : f->nodes[0].base ? (double)f->nodes[0].value / (double)f->nodes[0].base
                                           : 0;
    double max_delta = 0;
    for (size_t k = 0; diff && k < f->norder; k++) {
        const struct flame_node *nd = &f->nodes[f->order[k]];
        double d = (double)nd->value - (double)nd->base * base_scale;
        if ((d < 0 ? -d : d) > max_delta)
            max_delta = d < 0 ? -d : d;
    }
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
            "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\">\n",
            width, height, width, height);
    fprintf(out, "<style type=\"text/css\"><![CDATA[\n%s]]></style>\n", flame_css);
    fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", width, height,
            diff ? "#f4f4f4" : "#fdf8ec");
    fprintf(out, "<text id=\"title\" x=\"%d\" y=\"22\" text-anchor=\"middle\">", width / 2);
    flame_xml(out, o->title ? o->title : "Flame graph");
    fputs("</text>\n", out);
    fprintf(out, "<text id=\"subtitle\" x=\"%d\" y=\"38\" text-anchor=\"middle\">", width / 2);
    flame_xml(out, o->subtitle ? o->subtitle : "");
    fputs("</text>\n", out);
    fprintf(out,
            "<text id=\"reset\" class=\"ctl hid\" x=\"%d\" y=\"38\">Reset zoom</text>\n"
            "<text id=\"search\" class=\"ctl\" x=\"%d\" y=\"22\" text-anchor=\"end\">Search</text>\n"
            "<text id=\"clear\" class=\"ctl\" x=\"%d\" y=\"38\" text-anchor=\"end\">Clear</text>\n"
            "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n"
            "<text id=\"matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"> </text>\n",
            FLAME_PAD, width - FLAME_PAD, width - FLAME_PAD, FLAME_PAD, height - 10,
            width - FLAME_PAD, height - 10);
    if (header_h)
        o->header(out, FLAME_TOP, width, o->header_arg);
    fputs("<g id=\"frames\">\n", out);
    flame_static(out, f, width, height, base_scale, max_delta, diff);
    fputs("</g>\n<script type=\"text/ecmascript\"><![CDATA[\n", out);
    fprintf(out, "var DIFF=%d,BSCALE=%.17g,MAXD=%.17g,UNIT=", diff, base_scale, max_delta);
    flame_js_string(out, o->unit ? o->unit : "samples");
    fputs(";\nvar NAMES=[", out);
    for (size_t i = 0; i < f->names.count; i++) {
        if (i)
            fputc(',', out);
        flame_js_string(out, strtab_get(&f->names, i));
        if (i % 16 == 15)
            fputc('\n', out);
    }
    fputs("];\nvar D=[", out);
    for (size_t k = 0; k < f->norder; k++) {
        const struct flame_node *nd = &f->nodes[f->order[k]];
        fprintf(out, "%s%" PRIu32 ",%" PRIu32 ",%" PRIu64, k ? "," : "", nd->name, nd->depth,
                nd->value);
        if (diff)
            fprintf(out, ",%" PRIu64, nd->base);
        if (k % 16 == 15)
            fputc('\n', out);
    }
    fprintf(out, "];\n%s]]></script>\n</svg>\n", flame_js);
}

int flame_write_svg(FILE *out, const struct flame_stack *stacks, size_t n,
                    const struct flame_stack *base, size_t nbase, const struct flame_options *o)
{
    struct flame f = {0};
    int rc = -ENOMEM;
    strtab_init(&f.names);
    htab_init(&f.children);
    /* Node 0 is the root, named "all" (name 0); it is nobody's child, so not in f.children. */
    f.nodes = calloc(1024, sizeof(*f.nodes));
    if (!f.nodes || strtab_intern(&f.names, "all", 3) != 0)
        goto out;
    f.cap = 1024;
    f.n = 1;
    for (size_t i = 0; i < n; i++)
        if (stacks[i].weight && flame_add(&f, stacks[i].stack, stacks[i].weight, 0))
            goto out;
    for (size_t i = 0; base && i < nbase; i++)
        if (base[i].weight && flame_add(&f, base[i].stack, base[i].weight, 1))
            goto out;
    if (flame_order(&f))
        goto out;
    if (f.nodes[0].value == 0)
        f.norder = 1, f.order[0] = 0; /* an empty profile still gets a (blank) root */
    flame_emit(out, &f, o, base != NULL);
    rc = ferror(out) ? -EIO : 0;
out:
    free(f.nodes);
    free(f.order);
    strtab_free(&f.names);
    htab_free(&f.children);
    return rc;
}
