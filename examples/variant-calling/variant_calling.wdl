version 1.1

# Germline variant calling on a small bundled sample: sort and index the alignments, then call
# variants on each contig in parallel with bcftools (one scatter shard per contig), and merge
# the per-contig calls into one indexed VCF. Needs samtools, bcftools and tabix on the PATH
# (Debian/Ubuntu: apt-get install samtools bcftools tabix) or, with a container profile, the
# images named below.

workflow variant_calling {
  input {
    File reference
    File alignments
    String sample = "sample1"
    Int min_base_quality = 13
  }

  call index_reference { input: reference = reference }
  call sort_alignments { input: alignments = alignments, sample = sample }

  scatter (contig in index_reference.contigs) {
    call call_contig {
      input:
        reference = index_reference.fasta,
        reference_index = index_reference.fai,
        bam = sort_alignments.bam,
        bai = sort_alignments.bai,
        contig = contig,
        min_base_quality = min_base_quality
    }
  }

  call merge_calls { input: vcfs = call_contig.vcf, sample = sample }

  output {
    File vcf = merge_calls.vcf
    File vcf_index = merge_calls.tbi
    Int n_variants = merge_calls.n_variants
    Array[String] contigs = index_reference.contigs
  }
}

task index_reference {
  input { File reference }
  command <<<
    set -euo pipefail
    cp '~{reference}' ref.fa
    samtools faidx ref.fa
    cut -f1 ref.fa.fai
  >>>
  output {
    File fasta = "ref.fa"
    File fai = "ref.fa.fai"
    Array[String] contigs = read_lines(stdout())
  }
  runtime { container: "local/samtools:1.16.1"  cpu: 1  memory: "256 MiB" }
}

task sort_alignments {
  input {
    File alignments
    String sample
  }
  command <<<
    set -euo pipefail
    samtools sort -o '~{sample}.bam' '~{alignments}'
    samtools index '~{sample}.bam'
  >>>
  output {
    File bam = "~{sample}.bam"
    File bai = "~{sample}.bam.bai"
  }
  runtime { container: "local/samtools:1.16.1"  cpu: 1  memory: "512 MiB" }
}

task call_contig {
  input {
    File reference
    File reference_index
    File bam
    File bai
    String contig
    Int min_base_quality
  }
  command <<<
    set -euo pipefail
    # htslib finds ref.fa.fai and x.bam.bai beside their files.
    ln -s '~{reference}' ref.fa
    ln -s '~{reference_index}' ref.fa.fai
    ln -s '~{bam}' in.bam
    ln -s '~{bai}' in.bam.bai
    bcftools mpileup -Ou -f ref.fa -r '~{contig}' -Q ~{min_base_quality} in.bam \
      | bcftools call -mv -Oz -o '~{contig}.vcf.gz'
  >>>
  output { File vcf = "~{contig}.vcf.gz" }
  runtime { container: "local/samtools:1.16.1"  cpu: 1  memory: "512 MiB" }
}

task merge_calls {
  input {
    Array[File] vcfs
    String sample
  }
  command <<<
    set -euo pipefail
    bcftools concat -Oz -o '~{sample}.vcf.gz' ~{sep(" ", vcfs)}
    tabix -p vcf '~{sample}.vcf.gz'
    bcftools view -H '~{sample}.vcf.gz' | wc -l
  >>>
  output {
    File vcf = "~{sample}.vcf.gz"
    File tbi = "~{sample}.vcf.gz.tbi"
    Int n_variants = read_int(stdout())
  }
  runtime { container: "local/samtools:1.16.1"  cpu: 1  memory: "256 MiB" }
}
