version 1.1

# Per-window base composition of a genome: split every contig into fixed-size windows, compute
# GC content and N count of each window in parallel (one scatter shard per window), then gather
# the windows into one sorted table and a per-contig summary.

workflow fasta_stats {
  input {
    File fasta
    Int window_size = 5000
  }

  call contig_lengths { input: fasta = fasta }

  call make_windows {
    input: lengths = contig_lengths.lengths, window_size = window_size
  }

  scatter (window in make_windows.windows) {
    call window_stats {
      input: fasta = fasta, contig = window[0], start = window[1], end = window[2]
    }
  }

  call merge { input: rows = window_stats.row }

  output {
    File windows_tsv = merge.table
    File summary_tsv = merge.summary
    Int n_windows = length(make_windows.windows)
    Float genome_gc = merge.genome_gc
  }
}

task contig_lengths {
  input { File fasta }
  command <<<
    awk '/^>/ { if (name) print name "\t" len; name = substr($1, 2); len = 0; next }
         { len += length($0) }
         END { if (name) print name "\t" len }' '~{fasta}'
  >>>
  output { File lengths = stdout() }
  runtime { cpu: 1  memory: "64 MiB" }
}

task make_windows {
  input {
    File lengths
    Int window_size
  }
  command <<<
    awk -v w=~{window_size} '{ for (s = 0; s < $2; s += w) { e = s + w; if (e > $2) e = $2; print $1 "\t" s "\t" e } }' '~{lengths}'
  >>>
  output { Array[Array[String]] windows = read_tsv(stdout()) }
  runtime { cpu: 1  memory: "64 MiB" }
}

task window_stats {
  input {
    File fasta
    String contig
    String start
    String end
  }
  command <<<
    awk -v c='~{contig}' -v s=~{start} -v e=~{end} '
      /^>/ { keep = (substr($1, 2) == c); pos = 0; next }
      keep {
        for (i = 1; i <= length($0); i++) {
          if (pos >= s && pos < e) {
            b = toupper(substr($0, i, 1))
            if (b == "G" || b == "C") gc++
            else if (b == "N") n++
            else at++
          }
          pos++
        }
      }
      END {
        called = gc + at
        printf "%s\t%d\t%d\t%d\t%d\t%.4f\n", c, s, e, gc, n, (called ? gc / called : 0)
      }' '~{fasta}'
  >>>
  output { String row = read_string(stdout()) }
  runtime { cpu: 1  memory: "64 MiB" }
}

task merge {
  input { Array[String] rows }
  command <<<
    printf 'contig\tstart\tend\tgc\tn\tgc_fraction\n' > windows.tsv
    sort -k1,1 -k2,2n '~{write_lines(rows)}' >> windows.tsv
    printf 'contig\tlength\tgc_fraction\tn_bases\n' > summary.tsv
    awk -F'\t' 'NR > 1 { gc[$1] += $4; n[$1] += $5; len[$1] += $3 - $2 }
      END { for (c in len) printf "%s\t%d\t%.4f\t%d\n", c, len[c], gc[c] / (len[c] - n[c]), n[c] }' \
      windows.tsv | sort >> summary.tsv
    awk -F'\t' 'NR > 1 { gc += $4; called += $3 - $2 - $5 } END { printf "%.4f\n", gc / called }' windows.tsv
  >>>
  output {
    File table = "windows.tsv"
    File summary = "summary.tsv"
    Float genome_gc = read_float(stdout())
  }
  runtime { cpu: 1  memory: "64 MiB" }
}
