/** The page's inline style sheet and script: constants, never built from input. */

export const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#5c6670;--line:#d5dae0;--panel:#f5f7f9;--err:#c62828;--warn:#a45c00;--info:#1565c0;--ok:#2e7d32;--hl:#ffd43b;--hlfg:#000;--ram:#9ccc9c;--reserved:#a7b1bb;--acpi:#8fc1e3;--nvs:#c3b1e1;--other:#d7ccc8;--drhd:#1565c0;--link:#0b57d0}
@media (prefers-color-scheme:dark){:root{--bg:#15181b;--fg:#e3e6e8;--muted:#9aa3ab;--line:#353b42;--panel:#1e2227;--err:#ef6b68;--warn:#ffb74d;--info:#6cb6f5;--ok:#81c784;--hl:#c99a00;--hlfg:#fff;--ram:#4b7a4b;--reserved:#5d6872;--acpi:#3d6d8d;--nvs:#66578a;--other:#6d625d;--drhd:#6cb6f5;--link:#8ab4f8}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
a{color:var(--link)}
header{padding:10px 20px;border-bottom:1px solid var(--line)}
header h1{font-size:20px;margin:0}
header .src{margin:0 0 4px;color:var(--muted);overflow-wrap:anywhere}
nav a{margin-right:14px;white-space:nowrap}
main{padding:0 20px 40px;max-width:1500px}
section{margin-top:20px}
h2{font-size:18px;border-bottom:1px solid var(--line);padding-bottom:4px;margin:0 0 10px}
h3{font-size:15px;margin:8px 0 6px}
code,.mono{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:13px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:12px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:0}
.card h3{margin-top:2px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:2px 6px;vertical-align:top;border-bottom:1px solid var(--line);overflow-wrap:break-word}
td.wrap{overflow-wrap:anywhere}
th{font-weight:600}
.card th{width:36%}
.ims th{width:auto}
td.mono{white-space:pre-wrap}
.ims td{white-space:nowrap}.ims td .notes{white-space:normal}
.badge{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;font-weight:600;border:1px solid currentColor;white-space:nowrap}
.error{color:var(--err)}.warning{color:var(--warn)}.info{color:var(--info)}.ok{color:var(--ok)}.muted{color:var(--muted)}
.v-native{color:var(--ok)}.v-virtualized{color:var(--info)}.v-none{color:var(--muted)}
.counts .count{display:inline-block;margin-right:12px;text-decoration:none;font-size:15px}
.counts b{font-size:24px}
.notes{padding-left:18px;margin:6px 0;font-size:13px}
.tree{list-style:none;padding-left:0;margin:4px 0}
.tree ul{list-style:none;padding-left:18px;border-left:2px solid var(--line);margin:4px 0 10px 6px}
.tree li{margin:2px 0}
.dev.locked{background:color-mix(in srgb,var(--err) 10%,transparent);border-radius:4px}
.grp{font-size:12px;color:var(--muted);white-space:nowrap}
.svgwrap{overflow-x:auto;border:1px solid var(--line);border-radius:6px;background:var(--panel)}
svg.memmap{display:block;width:100%;min-width:760px;height:auto;font:11px ui-monospace,"DejaVu Sans Mono",monospace}
svg .lane-title{fill:var(--fg);font-weight:600;font-family:system-ui,sans-serif;font-size:12px}
svg .tick line{stroke:var(--line);stroke-dasharray:2 3}
svg .tick text{fill:var(--muted);font-size:10px}
svg .axis{stroke:var(--muted)}
svg .break{stroke:var(--muted);fill:none}
rect{stroke:var(--bg);stroke-width:.5}
rect:hover{stroke:var(--fg);stroke-width:1.5}
.k-ram{fill:var(--ram)}.k-reserved{fill:var(--reserved)}.k-acpi{fill:var(--acpi)}.k-nvs{fill:var(--nvs)}
.k-other,.k-unusable,.k-pmem,.k-soft-reserved{fill:var(--other)}
.rmrr.not-reserved{fill:var(--err)}.rmrr.reserved-ok{fill:var(--ok)}.rmrr.unknown{fill:var(--warn)}
.drhd{fill:var(--drhd)}
.legend span{white-space:nowrap;margin-right:10px;font-size:13px}
.legend svg{vertical-align:-1px}
.rmrrs{margin-top:8px;font-size:14px}
.findings{padding-left:22px}
.finding{margin:0 0 10px}
.hint{font-size:13px}
.fl{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:13px}
.split{display:grid;grid-template-columns:minmax(0,1fr) auto;gap:16px;align-items:start}
.structs .blk{margin-bottom:10px}
.structs table{font-size:13px}
.structs h3{margin:6px 0 2px}
[data-o]{cursor:pointer}
tr[data-o]:hover,h3[data-o]:hover{background:var(--panel)}
.cur{outline:2px solid var(--hl)}
.hexpane{position:sticky;top:0}
.sel{padding:4px 0;color:var(--muted)}
.hex{max-height:calc(100vh - 40px);overflow:auto;border:1px solid var(--line);border-radius:6px;padding:6px 8px;background:var(--panel)}
.hex .r{white-space:pre;line-height:1.5}
.hex .o{color:var(--muted)}
.hex i{font-style:normal}
.hex i.t{background:color-mix(in srgb,var(--info) 12%,transparent)}
.hex i.hl{background:var(--hl);color:var(--hlfg);border-radius:2px}
.hex .r:target{background:color-mix(in srgb,var(--hl) 25%,transparent)}
.asc{color:var(--muted)}
@media (max-width:820px){
 body{font-size:14px}
 header,main{padding-left:10px;padding-right:10px}
 .split{grid-template-columns:minmax(0,1fr)}
 .hexpane{position:static}
 .hex{max-height:none;font-size:12px}
 .asc{display:none}
 .grid{grid-template-columns:minmax(0,1fr)}
}
@media print{
 :root{--bg:#fff;--fg:#000;--muted:#444;--line:#bbb;--panel:#fff;color-scheme:light}
 nav,.sel{display:none}
 body{font-size:11px}
 .hexpane{position:static}.hex{max-height:none;overflow:visible}
 .split{grid-template-columns:minmax(0,1fr) auto}
 section{break-inside:auto}.finding,.blk,.card,tr{break-inside:avoid}
 a{color:inherit;text-decoration:none}
}
`;

/**
 * Highlight a byte range: every element with data-o (offset) and data-n
 * (length) selects those bytes of the hex view and scrolls them into sight.
 */
export const SCRIPT = `
(function(){
var B=document.querySelectorAll('#hex i'),on=[],cur=null,sel=document.getElementById('sel');
function show(el,scroll){
 var o=+el.getAttribute('data-o'),n=+el.getAttribute('data-n');
 for(var i=0;i<on.length;i++)on[i].classList.remove('hl');
 on=[];
 for(var j=o;j<o+n&&j<B.length;j++){B[j].classList.add('hl');on.push(B[j]);}
 if(cur)cur.classList.remove('cur');
 cur=el;el.classList.add('cur');
 if(sel)sel.textContent=el.getAttribute('data-l')+': '+(n>1?'bytes 0x'+o.toString(16)+'-0x'+(o+n-1).toString(16):'byte 0x'+o.toString(16));
 if(scroll&&on[0])on[0].scrollIntoView({block:'center'});
}
document.addEventListener('click',function(e){
 var t=e.target.closest('[data-o]');
 if(!t)return;
 e.preventDefault();
 show(t,true);
});
document.addEventListener('keydown',function(e){
 if(e.key!=='Enter'&&e.key!==' ')return;
 var t=e.target.closest&&e.target.closest('[data-o]');
 if(t){e.preventDefault();show(t,true);}
});
})();
`;
